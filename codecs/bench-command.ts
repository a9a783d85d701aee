import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { checkWritableFile, writeFileAtomic } from "../lib/atomic-file.ts";
import { elapsedLabel, NO_VALUE, sizeLabel } from "../lib/format.ts";
import { machineInfo, migbenchVersion, shellQuote } from "../lib/machine.ts";
import { progressMode } from "../lib/progress-mode.ts";
import { workerExecArgv } from "../lib/workers.ts";
import { writeExports } from "./bench-export.ts";
import { noiseWarning } from "./bench-noise.ts";
import { BATCH, type BenchSettings, parseBenchArgs } from "./bench-options.ts";
import { benchProgress } from "./bench-progress.ts";
import { resultRows } from "./bench-results.ts";
import { tableLines } from "./bench-table.ts";
import { calibrationFromRows } from "./calibration.ts";
import { type MeasuredRow, warmupMs } from "./codec-bench.ts";
import type { KindJob, KindResult } from "./codec-bench-worker.ts";
import { leveledCodecs } from "./general.ts";
import { codecLabel, describeThrown } from "./plugin.ts";
import { type CodecDefinition, PAGE_SIZE } from "./types.ts";

/**
 * `npm run bench:codecs` (codecs/bench.ts runs this): every codec × page kind, lzbench style. A
 * header line (migbench, Node, CPU), one row per codec and kind with a `memcpy` baseline row
 * per kind and hyperfine's mean ± σ, min…max and N per speed (codecs/bench-table.ts), a noise
 * warning that says what to run (codecs/bench-noise.ts), and the settings last. Progress goes
 * to stderr (codecs/bench-progress.ts); --export-json/-csv/-markdown write the results
 * (codecs/bench-export.ts) and `--calibrate [FILE]` the simulator's encode rates
 * (codecs/calibration.ts).
 *
 * Size column: encoded bytes as % of page bytes, counting n for an encoded page, 0 for an
 * unchanged one and 4096 for an overflow (the page goes raw) — QEMU's record headers are not
 * included, so the column compares with the Aug 2011 table's "size % of input".
 * GB/s = page input bytes (4096 per pair) / time, 10^9 bytes. Decode is timed as the receiver
 * sees each page: decode an encoded page, copy an overflowed (raw) one, nothing for unchanged.
 */

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

/** Where the command writes: the table to `out`; warnings, failures and progress to `err`. */
export interface BenchIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Whether stderr is a terminal (progress redraws one line) and the environment (CI). */
  stderrIsTTY: boolean;
  env: NodeJS.ProcessEnv;
}

const consoleIo: BenchIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  stderrIsTTY: process.stderr.isTTY === true,
  env: process.env,
};

/** `text` in lines of at most `width` characters, the later ones indented (the footer). */
function wrap(text: string, width = 100): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = `  ${word}`;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/** The settings and notes printed under the table, lzbench's footer. */
function footerLines(settings: BenchSettings, seconds: number): string[] {
  const { pairs, timeMs, seed } = settings;
  const notes = [
    `settings: ${pairs} pairs per kind (${sizeLabel(pairs * PAGE_SIZE * 2)}), ` +
      `${Math.min(BATCH, pairs)} pairs per timed iteration, --time ${timeMs} ms per task after ` +
      `${warmupMs(timeMs)} ms of warm-up, seed ${seed}, limit ${PAGE_SIZE}; ran in ${elapsedLabel(seconds)}.`,
    "GB/s: 10^9 bytes of page input per second, one rate per timed iteration (N iterations, " +
      "encode/decode); the exports add the median, which --calibrate and the report use. " +
      `size %: unchanged pages count 0, overflows ${PAGE_SIZE}. A codec with an arena entry ` +
      "point (xbzrle) is timed through it, as the simulator calls it.",
    `${NO_VALUE}: means nothing here: the encode of a codec that sends every page raw (it only ` +
      "checks for zeros), the decode of unchanged pages, overflow of memcpy and codecs without a delta.",
  ];
  const atDefault = settings.codecs.filter((c) => leveledCodecs[c.name] !== undefined);
  if (atDefault.length > 0) {
    const levels = atDefault.map((c) => `${c.name} ${leveledCodecs[c.name].levels.default}`);
    notes.push(
      `levels: ${levels.join(", ")} (QEMU's multifd defaults); NAME:LEVEL measures another (zstd:3).`,
    );
  }
  return notes.flatMap((note) => wrap(note));
}

/** Measure every kind, each in its own worker; the rows so far are exported after each. */
async function measureAll(
  settings: BenchSettings,
  io: BenchIo,
  exportAfter: (measured: readonly MeasuredRow[], complete: boolean) => void,
): Promise<MeasuredRow[] | null> {
  const { codecs, kinds } = settings;
  const mode = progressMode({ isTTY: io.stderrIsTTY }, io.env, settings.quiet);
  const progress = benchProgress(mode, codecs.length, kinds.length, io.err);
  const measured: MeasuredRow[] = [];
  for (const [k, kind] of kinds.entries()) {
    const job: KindJob = {
      kind,
      pairs: settings.pairs,
      seed: settings.seed,
      codecs: codecs.map((codec) => codec.name),
      codecModules: settings.codecModules,
      timing: { timeMs: settings.timeMs, batch: BATCH },
    };
    const result = await measureKind(job, settings.plugins, (codec) =>
      progress.rowDone(codec, kind),
    );
    if (!result.ok) {
      progress.stop();
      if ("failure" in result) io.err(`bench:codecs: ${result.failure}`);
      else io.err(`bench:codecs: verification failed: ${result.verification}`);
      return null;
    }
    measured.push(...result.measured);
    exportAfter(measured, k === kinds.length - 1);
  }
  progress.stop();
  return measured;
}

/** The whole command: parse `args` (without node and the script), run, return the exit code. */
export async function benchCodecsCommand(
  args: readonly string[],
  io: BenchIo = consoleIo,
): Promise<number> {
  const startedAt = new Date();
  const clockStart = performance.now();
  const elapsedSeconds = () => (performance.now() - clockStart) / 1000;
  const settings = await parseBenchArgs(args);
  // The outputs must be writable before minutes of benchmarking, not after.
  for (const file of Object.values(settings.exports)) if (file) checkWritableFile(file);
  if (settings.calibrationFile) checkWritableFile(settings.calibrationFile);
  const { cpu } = machineInfo();
  const cpuLine = `${cpu.model} (${cpu.cores} cores)`;
  io.out(`migbench ${migbenchVersion()} bench:codecs · Node ${process.version} · ${cpuLine}`);

  const command = `npm run bench:codecs -- ${args.map(shellQuote).join(" ")}`.trimEnd();
  const measured = await measureAll(settings, io, (soFar, complete) =>
    writeExports(resultRows(soFar, settings.codecs), settings, {
      command,
      startedAt,
      elapsedSeconds: elapsedSeconds(),
      complete,
    }),
  );
  if (measured === null) return 1;
  const rows = resultRows(measured, settings.codecs);
  for (const line of tableLines(rows)) io.out(line);
  const plugins = settings.plugins.map((codec, i) => ({
    path: settings.codecModules[i],
    codec: codec.name,
  }));
  const noise = { ...settings, plugins, loadAverage: loadavg()[0], cores: cpu.cores };
  for (const line of noiseWarning(rows, noise)) io.err(line);
  for (const line of footerLines(settings, elapsedSeconds())) io.out(line);
  for (const file of Object.values(settings.exports)) if (file) io.out(`wrote ${file}`);
  if (settings.calibrationFile) {
    const machine = `${cpuLine}, Node ${process.version}`;
    const points = measured.map((m) => m.row);
    const calibration = calibrationFromRows(points, settings.codecs, machine);
    writeFileAtomic(settings.calibrationFile, `${JSON.stringify(calibration, null, 2)}\n`);
    io.out(`wrote ${settings.calibrationFile}`);
  }
  return 0;
}
