import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { paperMain } from "../../harness/paper/cli.ts";
import { UsageError } from "../../lib/errors.ts";

// npm run paper's shell: bad input is one line and exit 2; --help lists the options.

const root = new URL("../..", import.meta.url).pathname;

test("an unknown option: one line on stderr, exit 2", () => {
  const run = spawnSync(
    process.execPath,
    ["--require", "./scripts/register-tsx.cjs", "harness/paper/cli.ts", "--quikc"],
    { cwd: root, encoding: "utf8" },
  );
  assert.equal(run.status, 2);
  assert.equal(run.stderr, "paper: Unknown argument: quikc\n");
  assert.equal(run.stdout, "");
});

test("--workers out of range is a usage error before anything runs", async () => {
  await assert.rejects(paperMain(["--workers", "-1"]), (error: unknown) => {
    assert.ok(error instanceof UsageError);
    return true;
  });
});

test("--help", async () => {
  let text = "";
  const code = await paperMain(["--help"], { stdout: { write: (t: string) => (text += t) } });
  assert.equal(code, 0);
  for (const option of ["--quick", "--out", "--workers", "--help"])
    assert.ok(text.includes(option), option);
});
