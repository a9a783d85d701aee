import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import yargs from "yargs";
import { checkWritableFile, writeFileAtomic } from "../lib/atomic-file.ts";
import { UsageError } from "../lib/errors.ts";
import { flagList, joinNegativeValues, singleList, singleValued } from "../lib/flag-list.ts";
import { machineInfo, migbenchVersion } from "../lib/machine.ts";
import { parseInteger, parseNumber } from "../lib/units.ts";
import { workerExecArgv } from "../lib/workers.ts";
import { calibrationFromRows, OUTCOME_KINDS } from "./calibration.ts";
import type { BenchRow, MeasuredRow, TimingOptions } from "./codec-bench.ts";
import type { KindJob, KindResult } from "./codec-bench-worker.ts";
import { DEFLATE_LEVEL, ZSTD_LEVEL } from "./general.ts";
import { isPageKind, PAGE_KINDS, type PageKind } from "./page-kinds.ts";
import { codecLabel, describeThrown } from "./plugin.ts";
import { loadCodecModule, resolveCodecs } from "./registry.ts";
import type { CodecDefinition } from "./types.ts";

/**
 * `npm run bench:codecs` (codecs/bench.ts runs this): every codec × page kind, lzbench style. A header
 * line (migbench, Node, CPU), one row per codec and kind with a `memcpy` baseline row per
 * kind, warnings that say what to do, and the settings last. `--json FILE` writes the rows;
 * `--calibrate [FILE]` writes the simulator's encode rates (codecs/calibration.ts).
 *
 * Size column: encoded bytes as % of page bytes, counting n for an encoded page, 0 for an
 * unchanged one and 4096 for an overflow (the page goes raw) — QEMU's record headers are not
 * included, so the column compares with the Aug 2011 table's "size % of input".
 * GB/s = page input bytes (4096 per pair) / time, 10^9 bytes. Decode is timed as the receiver
 * sees each page: decode an encoded page, copy an overflowed (raw) one, nothing for unchanged.
 */

const DEFAULT_PAIRS = 16384;
/**
 * makePagePairs() (codecs/page-kinds.ts) puts a kind's old pages, new pages and an output page
 * in one typed array, at most 2^32 bytes: (2 × pairs + 1) × 4096 ≤ 2^32.
 */
export const MAX_PAIRS = 2 ** 19 - 1;
/** Seeds are 32-bit (lib/prng.ts takes `seed | 0`). */
const MAX_SEED = 2 ** 32 - 1;
const DEFAULT_TIME_MS = 500;
const BATCH = 256;
const DEFAULT_CALIBRATION_FILE = "results/calibration.json";
/** Above this relative margin of error (%, 95 % CI of the mean) a rate is flagged. */
const RME_WARN_PERCENT = 10;

function formatRate(gbps: number): string {
  if (!Number.isFinite(gbps)) return "inf";
  return gbps >= 100 ? gbps.toFixed(0) : gbps >= 10 ? gbps.toFixed(1) : gbps.toFixed(2);
}

function tableLines(rows: readonly BenchRow[]): string[] {
  const header = ["codec", "kind", "encode GB/s", "decode GB/s", "size %", "overflow %"];
  const cells = rows.map((row) => [
    row.codec,
    row.kind,
    formatRate(row.encodeGBps),
    formatRate(row.decodeGBps),
    row.encodedPercent.toFixed(2),
    row.overflowPercent.toFixed(1),
  ]);
  const widths = header.map((title, c) => Math.max(title.length, ...cells.map((r) => r[c].length)));
  const line = (values: string[]) =>
    values.map((v, c) => (c < 2 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join(" | ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("-|-"), ...cells.map(line)];
}

const WORKER_FILE = fileURLToPath(new URL("./codec-bench-worker.ts", import.meta.url));

/**
 * Measure one kind in a fresh worker (codec-bench-worker.ts says why). The worker guards its
 * plug-in calls (codecs/plugin.ts); a worker that still dies or ends without a result while a
 * plug-in is being measured (an exit or throw from a timer the plug-in left) is one line naming
 * that plug-in; anything else a built-in did is a bug and keeps its stack.
 */
function measureKind(
  job: KindJob,
  plugins: readonly CodecDefinition[],
  onProgress: (codec: string) => void,
): Promise<KindResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_FILE, {
      workerData: job,
      execArgv: workerExecArgv([]),
    });
    let measured = 0; // memcpy, then job.codecs in order
    const inPlugin = () => {
      const name = measured === 0 ? undefined : job.codecs[measured - 1];
      const plugin = plugins.find((definition) => definition.name === name);
      return plugin && codecLabel(plugin);
    };
    let settled = false;
    worker.on("message", (message: { progress?: string; result?: KindResult }) => {
      if (message.progress !== undefined) {
        measured++;
        onProgress(message.progress);
      }
      if (message.result !== undefined) {
        settled = true;
        resolve(message.result);
        void worker.terminate();
      }
    });
    worker.once("error", (error) => {
      settled = true;
      const label = inPlugin();
      if (label === undefined) reject(error);
      else resolve({ ok: false, failure: `${label}: ${describeThrown(error)} on ${job.kind}` });
    });
    worker.once("exit", (code) => {
      if (settled) return;
      const label = inPlugin() ?? `bench:codecs' worker for ${job.kind}`;
      resolve({
        ok: false,
        failure: `${label}: the worker exited (code ${code}) before it finished`,
      });
    });
  });
}

/** Where the command writes: the table to `out`, warnings and failures to `err`. */
export interface BenchIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Progress lines on stderr (only when it is a terminal). */
  progress: boolean;
}

const consoleIo: BenchIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  progress: process.stderr.isTTY === true,
};

/** The whole command: parse `args` (without node and the script), run, return the exit code. */
export async function benchCodecsCommand(
  args: readonly string[],
  io: BenchIo = consoleIo,
): Promise<number> {
  const argv = await yargs(joinNegativeValues(args, ["help"]))
    .scriptName("npm run bench:codecs --")
    .usage(
      "$0 [options]\n\nEvery codec × page kind, lzbench style: encode/decode GB/s, size %, overflow %.",
    )
    .option("codec", {
      type: "string",
      describe: "codecs (one comma list; names, aliases, groups such as paper, or all)",
      default: "all",
    })
    .option("kind", {
      type: "string",
      describe: `page kinds (one comma list of ${PAGE_KINDS.join(", ")})`,
    })
    .option("pairs", {
      type: "string",
      default: String(DEFAULT_PAIRS),
      describe: `page pairs per kind, 1 to ${MAX_PAIRS} (16384 = 64 MiB old + 64 MiB new)`,
    })
    .option("time", {
      type: "string",
      default: String(DEFAULT_TIME_MS),
      describe: "tinybench time budget per task, ms (every pair is encoded at least once)",
    })
    .option("seed", { type: "string", default: "1", describe: "page generator seed (0..2^32-1)" })
    .option("json", { type: "string", describe: "also write the rows as JSON to FILE" })
    .option("calibrate", {
      type: "string",
      describe: `write the simulator's encode rates to FILE (default ${DEFAULT_CALIBRATION_FILE})`,
    })
    .option("codec-module", {
      type: "string",
      array: true,
      describe: "load a plug-in codec from a module (repeatable)",
    })
    .check(singleValued(["pairs", "time", "seed", "json", "calibrate"]))
    .check(singleList(["codec", "kind"]))
    .strict()
    .help()
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    })
    .parseAsync();

  const pairs = parseInteger(
    argv.pairs,
    "--pairs",
    1,
    MAX_PAIRS,
    "old + new pages in one typed array of at most 2^32 bytes",
  );
  const timeMs = parseNumber(argv.time, "--time", { min: 0, unit: "ms" });
  const seed = parseInteger(argv.seed, "--seed", 0, MAX_SEED, "seeds are 32-bit");
  const plugins: CodecDefinition[] = [];
  for (const path of argv["codec-module"] ?? []) plugins.push(await loadCodecModule(path));
  const calibrating = argv.calibrate !== undefined;
  const calibrationFile = argv.calibrate || DEFAULT_CALIBRATION_FILE;

  const codecNames = flagList(argv.codec, "codec") ?? ["all"];
  let codecs = resolveCodecs(codecNames, plugins);
  const kindNames = flagList(argv.kind, "kind");
  for (const kind of kindNames ?? []) {
    if (!isPageKind(kind)) {
      throw new UsageError(`unknown page kind "${kind}" (known: ${PAGE_KINDS.join(", ")})`);
    }
  }
  let kinds = (kindNames ?? [...PAGE_KINDS]) as PageKind[];
  if (calibrating) {
    // The calibration needs the raw and zero rows (see calibration.ts) and four kinds.
    codecs = resolveCodecs(["raw", "zero", ...codecs.map((c) => c.name)], plugins);
    const needed = [...new Set(Object.values(OUTCOME_KINDS))] as PageKind[];
    kinds = kindNames ? [...new Set([...kinds, ...needed])] : needed;
  }
  // The outputs must be writable before minutes of benchmarking, not after.
  if (argv.json) checkWritableFile(argv.json);
  if (calibrating) checkWritableFile(calibrationFile);
  const timing: TimingOptions = { timeMs, batch: BATCH };
  const { cpu } = machineInfo();
  const cpuLine = `${cpu.model} (${cpu.cores} cores)`;
  const machine = `${cpuLine}, Node ${process.version}`;
  io.out(`migbench ${migbenchVersion()} bench:codecs · Node ${process.version} · ${cpuLine}`);

  const showProgress = io.progress;
  const total = kinds.length * (codecs.length + 1);
  let done = 0;
  const measured: MeasuredRow[] = [];
  for (const kind of kinds) {
    const result = await measureKind(
      {
        kind,
        pairs,
        seed,
        codecs: codecs.map((codec) => codec.name),
        codecModules: argv["codec-module"] ?? [],
        timing,
      },
      plugins,
      (name) => {
        if (showProgress) process.stderr.write(`\r\x1b[K[${++done}/${total}] ${name} on ${kind}`);
      },
    );
    if (!result.ok) {
      if (showProgress) process.stderr.write("\r\x1b[K");
      if ("failure" in result) io.err(`bench:codecs: ${result.failure}`);
      else io.err(`bench:codecs: verification failed: ${result.verification}`);
      return 1;
    }
    measured.push(...result.measured);
  }
  if (showProgress) process.stderr.write("\r\x1b[K");

  const rows = measured.map((m) => m.row);
  for (const line of tableLines(rows)) io.out(line);

  const noisy: string[] = [];
  for (const { row, encode, decode } of measured) {
    if (encode.rmePercent > RME_WARN_PERCENT) {
      noisy.push(`${row.codec}/${row.kind} encode ±${encode.rmePercent.toFixed(0)} %`);
    }
    if (decode.rmePercent > RME_WARN_PERCENT) {
      noisy.push(`${row.codec}/${row.kind} decode ±${decode.rmePercent.toFixed(0)} %`);
    }
  }
  if (noisy.length > 0) {
    io.err(
      `warning: ${noisy.length} of ${measured.length * 2} rates have a margin of error above ` +
        `±${RME_WARN_PERCENT} % (95 % CI of the mean): ${noisy.join(", ")}. ` +
        `Close other programs and re-run those rows alone with a longer budget, e.g. ` +
        `--codec ${measured.find((m) => noisy[0].startsWith(`${m.row.codec}/`))?.row.codec ?? "NAME"} ` +
        `--kind KIND --time ${Math.round(timeMs * 4)}.`,
    );
  }

  io.out(
    `settings: ${pairs} pairs per kind (${((pairs * 4096 * 2) / 2 ** 20).toFixed(0)} MiB), ` +
      `${BATCH} pairs per timed iteration, --time ${timeMs} ms per task, seed ${seed}, ` +
      `limit 4096, zstd level ${ZSTD_LEVEL}, deflate level ${DEFLATE_LEVEL}; ` +
      "size % counts unchanged as 0 and overflow as 4096; GB/s = 10^9 page bytes/s over the median iteration; " +
      "a codec with an arena entry point (xbzrle) encodes on page offsets, as the simulator calls it",
  );
  if (argv.json) {
    writeFileAtomic(argv.json, `${JSON.stringify(rows, null, 2)}\n`);
    io.out(`wrote ${argv.json}`);
  }
  if (calibrating) {
    const calibration = calibrationFromRows(rows, codecs, machine);
    writeFileAtomic(calibrationFile, `${JSON.stringify(calibration, null, 2)}\n`);
    io.out(`wrote ${calibrationFile}`);
  }
  return 0;
}
