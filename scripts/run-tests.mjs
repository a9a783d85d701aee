// Runs every test/**/*.test.ts with node's test runner.
// Node 20's `node --test` has no glob support and a directory argument may run zero .ts files
// and still exit 0, so list the files explicitly and fail loudly when there are none.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";

function listTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listTests(path);
    return entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

const root = new URL("..", import.meta.url).pathname;
const files = listTests(join(root, "test"))
  .map((f) => relative(root, f))
  .filter((f) => process.argv.slice(2).every((word) => f.includes(word)))
  .sort();
if (files.length === 0) {
  console.error("run-tests: no test files found under test/ (matching the given words)");
  process.exit(1);
}
// spec for a person at a terminal; TAP otherwise, whose closing `# pass N` / `# fail N` lines
// are what CI reads.
const reporter = process.stdout.isTTY ? "spec" : "tap";
const result = spawnSync(
  process.execPath,
  [
    "--require",
    "./scripts/register-tsx.cjs",
    "--test",
    "--test-concurrency=3",
    `--test-reporter=${reporter}`,
    ...files,
  ],
  { cwd: root, stdio: "inherit" },
);
process.exit(result.status ?? 1);
