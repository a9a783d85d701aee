import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { UsageError } from "../../lib/errors.ts";
import { flagValue } from "../../lib/flag-list.ts";
import { elapsedLabel } from "../../lib/format.ts";
import { runMain } from "../../lib/main.ts";
import { parseInteger } from "../../lib/units.ts";
import { defaultRunDir } from "../../results/run-dir.ts";
import { MAX_WORKERS } from "../cli/bench-options.ts";
import { CLAIMS } from "./claims.ts";
import { codecTableClaim } from "./codec-table-claim.ts";
import { runSuite } from "./suite.ts";
import { writeSuiteReport } from "./suite-report.ts";

/**
 * `npm run paper [-- --quick] [--out DIR] [--workers N]`: rerun the VEE 2011 evaluation and the
 * published XBZRLE numbers (harness/paper/claims.ts), one bench run per experiment in
 * OUT/runs/, and write REPRODUCTION.md, the figures, the codec table and paper.html in OUT
 * (harness/paper/suite-report.ts). docs/PAPER.md describes the suite.
 */

const USAGE =
  "$0 [--quick] [--out DIR] [--workers N]\n\n" +
  "Rerun the VEE 2011 evaluation and the published XBZRLE numbers: every claim's experiments\n" +
  "as ordinary bench runs in DIR/runs/, then REPRODUCTION.md (a verdict per claim), the\n" +
  "figures (SVG and PDF), the codec table (Markdown and LaTeX) and paper.html in DIR.\n" +
  "Run it again with the same --out to resume: finished experiments are reused.";

const EPILOGUE =
  "Examples:\n" +
  "  npm run paper -- --quick            about 2 minutes on 2 cores\n" +
  "  npm run paper -- --out runs/paper   the full suite, about 20 minutes; resumable\n" +
  "Exit status: 0 done (whatever the verdicts), 1 an experiment failed or a file is missing,\n" +
  "2 bad option, 130 interrupted (run it again with the same --out to resume).";

function parser(args: readonly string[]) {
  return yargs([...args])
    .help(false)
    .version(false)
    .scriptName("npm run paper --")
    .usage(USAGE)
    .option("quick", {
      type: "boolean",
      describe: "fewer seeds and sweep points, same claims and verdict logic (≤ 2 min)",
    })
    .option("out", {
      type: "string",
      describe: "directory to write (reused and resumed if it holds this suite)",
      defaultDescription: "runs/<UTC timestamp>-paper/",
    })
    .option("workers", {
      type: "string",
      describe: "worker threads per experiment (as bench's --workers)",
      defaultDescription: "bench's choice",
    })
    .option("help", { type: "boolean", describe: "show this help and exit" })
    .strict()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue(EPILOGUE)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
}

export interface PaperDeps {
  readonly cwd?: string;
  readonly stdout?: { write(text: string): unknown };
  readonly stderr?: { write(text: string): unknown };
  readonly now?: () => Date;
  readonly env?: NodeJS.ProcessEnv;
}

export async function paperMain(args: readonly string[], deps: PaperDeps = {}): Promise<number> {
  const cwd = deps.cwd ?? process.cwd();
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const now = deps.now ?? (() => new Date());
  const p = parser(args);
  const argv = p.parseSync();
  if (argv._.length > 0) throw new UsageError(`unexpected argument "${String(argv._[0])}"`);
  if (argv.help) {
    stdout.write(`${await p.getHelp()}\n`);
    return 0;
  }
  const workers = flagValue(argv.workers, "workers");
  if (workers !== undefined) parseInteger(workers, "--workers", 0, MAX_WORKERS);
  const mode = argv.quick ? "quick" : "full";
  const outArg = flagValue(argv.out, "out");
  const startedAt = now();
  const out = outArg ? resolve(cwd, outArg) : defaultRunDir(["paper"], startedAt, cwd);
  const wallStart = performance.now();
  stderr.write(`paper: the ${mode} suite in ${out}\n`);
  const codecStart = performance.now();
  const codecTable = await codecTableClaim(out, mode);
  stderr.write(
    `paper: 1 codec table: ${codecTable.reported.verdict} (${elapsedLabel((performance.now() - codecStart) / 1000)})\n`,
  );
  const results = await runSuite(CLAIMS, mode, out, {
    workers,
    progress: (line) => stderr.write(`paper: ${line}\n`),
  });
  const report = await writeSuiteReport(out, {
    mode,
    results,
    before: [codecTable],
    startedAt: startedAt.toISOString(),
    wallStart,
    env: deps.env ?? process.env,
    warn: (line) => stderr.write(`paper: ${line}\n`),
  });
  for (const line of report.verdictLines) stdout.write(`${line}\n`);
  stdout.write(`reproduction: ${report.markdownPath}\n`);
  // As bench does after Ctrl-C: the shell's status for the signal; the suite resumes with --out.
  if (results.some((r) => r.outcomes.some((o) => o.state === "interrupted"))) return 130;
  const notRun =
    results.some((r) => r.status === "not run") || codecTable.reported.verdict === "not run";
  return notRun ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await runMain("paper", () => paperMain(hideBin(process.argv)));
}
