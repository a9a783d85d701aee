/**
 * `npm run bench:qemu-baseline [-- --pairs N --reps N --kind K --json FILE]`: compiles the
 * re-implementation of QEMU's scalar XBZRLE algorithm (xbzrle-scalar.c, not QEMU's code) with
 * gcc -O2 into a temp dir and times it side by side with migbench's xbzrle on the same page
 * pairs as the codec benchmark (codecs/page-kinds.ts, 16384 pairs = 64 MiB old + 64 MiB new
 * per kind), printing GB/s per kind. migbench's xbzrle is meant to
 * win this comparison. The sides take turns pass by pass (timing-worker.ts says why), on one CPU (rerunPinned()
 * says why); each keeps its fastest pass, and the median of the per-round speed ratios is
 * printed too. migbench is timed twice: encode() on page views, and its arena entry point on
 * page offsets (codecs/types.ts ArenaEncode), which is how the C side gets its pages.
 * `--pairs 32` times the code with the pages in the CPU caches; the default times it against RAM.
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { median } from "simple-statistics";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { checkWritableFile, writeFileAtomic } from "../../lib/atomic-file.ts";
import { InputError, UsageError } from "../../lib/errors.ts";
import { flagList, joinNegativeValues, singleList, singleValued } from "../../lib/flag-list.ts";
import { runMain } from "../../lib/main.ts";
import { parseInteger } from "../../lib/units.ts";
import { workerExecArgv } from "../../lib/workers.ts";
import { MAX_PAIRS } from "../bench-options.ts";
import { isPageKind, PAGE_KINDS, type PageKind } from "../page-kinds.ts";
import { PAGE_SIZE } from "../types.ts";
import { defaultXbzrleEngine } from "../xbzrle.ts";
import type { TimingJob, TimingResult } from "./timing-worker.ts";
import { passPagesFor } from "./xbzrle-timing.ts";

const here = dirname(fileURLToPath(import.meta.url));

/** Run one kind's timings in a fresh worker (timing-worker.ts says why). */
function timeInWorker(job: TimingJob): Promise<TimingResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(join(here, "timing-worker.ts"), {
      workerData: job,
      execArgv: workerExecArgv([]),
    });
    worker.once("message", (timing: TimingResult) => {
      resolve(timing);
      void worker.terminate();
    });
    worker.once("error", reject);
  });
}

const PINNED_ENV = "MIGBENCH_BASELINE_CPU";

/** The CPUs this process may run on (Linux), from /proc/self/status; null elsewhere. */
function allowedCpus(): number[] | null {
  let status: string;
  try {
    status = readFileSync("/proc/self/status", "utf8");
  } catch {
    return null;
  }
  const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
  if (!list) return null;
  const cpus: number[] = [];
  for (const part of list.split(",")) {
    const [from, to = from] = part.split("-").map(Number);
    for (let cpu = from; cpu <= to; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/**
 * Run this benchmark again under `taskset -c cpu`, so the C harness (a child, which inherits the
 * affinity) and migbench's worker time their passes on the same CPU. On this class of shared
 * VM the two vCPUs see different memory bandwidth from moment to moment, and a side that
 * happened to run on the other vCPU was up to 2x slower for whole stretches of passes. Returns
 * the exit code, or null when taskset is missing (the caller runs unpinned).
 */
function rerunPinned(cpu: number): number | null {
  const child = spawnSync(
    "taskset",
    ["-c", String(cpu), process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    { stdio: "inherit", env: { ...process.env, [PINNED_ENV]: String(cpu) } },
  );
  if (child.error) return null;
  return child.status ?? 1;
}

/** Compile the harness into a fresh temp dir; returns the binary's path and the dir. */
export function compileBaseline(): { binary: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "migbench-qemu-baseline-"));
  const binary = join(dir, "xbzrle-scalar-harness");
  const gcc = spawnSync(
    "gcc",
    ["-O2", "-o", binary, join(here, "harness.c"), join(here, "xbzrle-scalar.c"), `-I${here}`],
    { encoding: "utf8" },
  );
  if (gcc.error || gcc.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    const why = gcc.error ? gcc.error.message : gcc.stderr.trim().split("\n")[0];
    throw new InputError("gcc", `cannot compile the QEMU baseline: ${why}`);
  }
  return { binary, dir };
}

/** One kind's row: GB/s of page bytes from each side's fastest pass. */
export interface ComparisonRow {
  kind: PageKind;
  qemuScalar: { encodeGBps: number; decodeGBps: number | null };
  /** Reading both pages whole, no early exit (SSE2, in C): the RAM ceiling for `identical`. */
  memoryReadGBps: number;
  /**
   * migbench xbzrle, default engine, pages in a wasm-visible arena (no copy): encode() on page
   * views, and the arena entry point on page offsets (codecs/types.ts ArenaEncode; null
   * without one).
   */
  migbench?: {
    encodeGBps: number;
    encodeAtGBps: number | null;
    decodeGBps: number | null;
    decodeCopyGBps: number | null;
  };
  /** migbench encode ÷ C encode, from the fastest pass of each. */
  encodeRatio?: number;
  /** The median over rounds of (C pass seconds ÷ adjacent migbench pass seconds). */
  encodeRatioMedian?: number;
  /** The same two ratios for the arena entry point. */
  encodeAtRatio?: number;
  encodeAtRatioMedian?: number;
  /** Same engine, pages in plain JS buffers (the wasm kernel copies them in). */
  migbenchPlainBuffersEncodeGBps?: number;
  /** The plain-JS encoder (the fallback without wasm SIMD). */
  migbenchJsEncodeGBps?: number;
  encodedPercent: number;
  overflowPercent: number;
}

const rate = (bytes: number, passes: number[] | null): number | null =>
  passes === null || passes.length === 0 ? null : bytes / Math.min(...passes) / 1e9;

const gbps = (x: number | null | undefined, width: number) =>
  (x === null || x === undefined ? "-" : x.toFixed(2)).padStart(width);
const times = (x: number | undefined, width: number) =>
  (x === undefined ? "-" : `${x.toFixed(2)}x`).padStart(width);

async function compareKind(
  kind: PageKind,
  argv: { pairs: number; reps: number; migbench: boolean },
  binary: string,
  dir: string,
): Promise<ComparisonRow> {
  const pairsFile = join(dir, `${kind}.pairs`);
  const passPages = passPagesFor(argv.pairs);
  const passBytes = passPages * PAGE_SIZE;
  const job = {
    kind,
    pairs: argv.pairs,
    passPages,
    reps: argv.reps,
    engine: defaultXbzrleEngine,
    placement: "arena" as const,
  };
  // With --no-migbench the worker still runs the C side's passes; migbench's are not shown.
  const side = await timeInWorker({ ...job, c: { binary, pairsFile } });
  const c = side.c!;
  const mbTotals = side.migbench.totals;
  if (
    mbTotals.encodedBytes !== c.totals.encodedBytes ||
    mbTotals.overflows !== c.totals.overflows ||
    mbTotals.unchanged !== c.totals.unchanged
  ) {
    throw new Error(
      `${kind}: migbench and the C baseline disagree on the encoding ` +
        `(${JSON.stringify(mbTotals)} vs ${JSON.stringify(c.totals)})`,
    );
  }
  // The totals agree, so both sides decode the same pages in a pass.
  const decodedBytes = side.decodedBytesPerPass;
  const row: ComparisonRow = {
    kind,
    qemuScalar: {
      encodeGBps: rate(passBytes, c.encode)!,
      decodeGBps: rate(decodedBytes, c.decode),
    },
    memoryReadGBps: rate(passBytes, c.memory)!,
    encodedPercent: (100 * c.totals.encodedBytes) / (argv.pairs * PAGE_SIZE),
    overflowPercent: (100 * c.totals.overflows) / argv.pairs,
  };
  if (!argv.migbench) return row;
  const mb = side.migbench;
  row.migbench = {
    encodeGBps: rate(passBytes, mb.encode)!,
    encodeAtGBps: rate(passBytes, mb.encodeAt),
    decodeGBps: rate(decodedBytes, mb.decode),
    decodeCopyGBps: rate(decodedBytes, mb.decodeCopy),
  };
  row.encodeRatio = row.migbench.encodeGBps / row.qemuScalar.encodeGBps;
  row.encodeRatioMedian = median(c.encode.map((cs, r) => cs / mb.encode[r]));
  if (row.migbench.encodeAtGBps !== null && mb.encodeAt) {
    const at = mb.encodeAt;
    row.encodeAtRatio = row.migbench.encodeAtGBps / row.qemuScalar.encodeGBps;
    row.encodeAtRatioMedian = median(c.encode.map((cs, r) => cs / at[r]));
  }
  const plain = await timeInWorker({ ...job, placement: "plain" });
  row.migbenchPlainBuffersEncodeGBps = rate(passBytes, plain.migbench.encode)!;
  const js = await timeInWorker({ ...job, engine: "js", placement: "plain" });
  row.migbenchJsEncodeGBps = rate(passBytes, js.migbench.encode)!;
  return row;
}

async function main(): Promise<number> {
  const argv = await yargs(
    joinNegativeValues(hideBin(process.argv), ["help", "version", "migbench", "pin"]),
  )
    .scriptName("bench:qemu-baseline")
    .usage(
      "$0 [--pairs N] [--reps N] [--kind K,...] [--cpu N | --no-pin] [--no-migbench] [--json FILE]",
    )
    .option("pairs", {
      type: "string",
      default: "16384",
      describe: `page pairs per kind, 1 to ${MAX_PAIRS} (a pass covers at least 16384 pages; 32 fits the CPU caches)`,
    })
    .option("reps", {
      type: "string",
      default: "15",
      describe: "timed passes per side, C and migbench taking turns; the fastest is kept",
    })
    .option("kind", { type: "string", describe: `page kinds, one comma list (${PAGE_KINDS})` })
    .option("migbench", {
      type: "boolean",
      default: true,
      describe: "also time migbench's xbzrle on the same pairs, side by side",
    })
    .option("json", { type: "string", describe: "also write the rows as JSON to FILE" })
    .option("cpu", {
      type: "string",
      describe: "the CPU both sides run on (taskset; default: the last one allowed)",
    })
    .option("pin", {
      type: "boolean",
      default: true,
      describe: "run both sides on one CPU (--no-pin: let the scheduler place them)",
    })
    .check(singleValued(["pairs", "reps", "json", "cpu"]), true)
    .check(singleList(["kind"]), true)
    .strict()
    .help()
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .parseAsync();
  const pairs = parseInteger(
    argv.pairs,
    "--pairs",
    1,
    MAX_PAIRS,
    "old + new pages in one typed array of at most 2^32 bytes",
  );
  const reps = parseInteger(argv.reps, "--reps", 1);
  const kinds = (flagList(argv.kind, "kind") ?? [...PAGE_KINDS]).map((k) => {
    if (!isPageKind(k)) throw new UsageError(`--kind: unknown kind "${k}" (known: ${PAGE_KINDS})`);
    return k;
  });
  const chosenCpu = argv.cpu === undefined ? undefined : parseInteger(argv.cpu, "--cpu", 0);
  // The JSON must have somewhere to go before minutes of timing (and before the pinned rerun).
  if (argv.json) checkWritableFile(argv.json);
  let pinnedTo = process.env[PINNED_ENV];
  if (argv.pin && pinnedTo === undefined) {
    const cpus = allowedCpus();
    if (chosenCpu !== undefined && cpus && !cpus.includes(chosenCpu)) {
      throw new UsageError(`--cpu: ${chosenCpu} is not one this process may use (${cpus})`);
    }
    const cpu = chosenCpu ?? cpus?.at(-1);
    if (cpu !== undefined) {
      const code = rerunPinned(cpu);
      if (code !== null) return code;
    }
    console.error("bench:qemu-baseline: taskset is not available; both sides run unpinned");
    pinnedTo = undefined;
  }
  const { binary, dir } = compileBaseline();
  try {
    const passPages = passPagesFor(pairs);
    console.log(
      `QEMU scalar XBZRLE algorithm (re-implementation in C, gcc -O2) vs migbench xbzrle ` +
        `(${defaultXbzrleEngine}); ${pairs} pairs per kind, ${passPages} pages per pass, ` +
        `fastest of ${reps} alternating passes per side; GB/s of page bytes (4096 per pair), ` +
        `wall time; decode in place; ` +
        (pinnedTo === undefined ? "unpinned" : `both sides on CPU ${pinnedTo} (taskset)`) +
        `. Node ${process.version}.`,
    );
    console.log(
      `${"kind".padEnd(13)}${"C enc".padStart(7)}${"mb enc".padStart(8)}${"ratio".padStart(7)}` +
        `${"median".padStart(8)}${"mb@ enc".padStart(9)}${"ratio@".padStart(8)}` +
        `${"median@".padStart(9)}${"mem".padStart(7)}${"mb enc*".padStart(9)}${"js enc".padStart(8)}` +
        `${"C dec".padStart(8)}${"mb dec".padStart(8)}${"mb dec+".padStart(9)}` +
        `${"size %".padStart(8)}${"ovf %".padStart(7)}`,
    );
    const rows: ComparisonRow[] = [];
    for (const kind of kinds) {
      const r = await compareKind(kind, { pairs, reps, migbench: argv.migbench }, binary, dir);
      rows.push(r);
      console.log(
        `${kind.padEnd(13)}${gbps(r.qemuScalar.encodeGBps, 7)}${gbps(r.migbench?.encodeGBps, 8)}` +
          `${times(r.encodeRatio, 7)}${times(r.encodeRatioMedian, 8)}` +
          `${gbps(r.migbench?.encodeAtGBps, 9)}${times(r.encodeAtRatio, 8)}` +
          `${times(r.encodeAtRatioMedian, 9)}${gbps(r.memoryReadGBps, 7)}` +
          `${gbps(r.migbenchPlainBuffersEncodeGBps, 9)}${gbps(r.migbenchJsEncodeGBps, 8)}` +
          `${gbps(r.qemuScalar.decodeGBps, 8)}${gbps(r.migbench?.decodeGBps, 8)}` +
          `${gbps(r.migbench?.decodeCopyGBps, 9)}` +
          `${r.encodedPercent.toFixed(2).padStart(8)}${r.overflowPercent.toFixed(1).padStart(7)}`,
      );
    }
    console.log(
      "mb = migbench xbzrle, pages in a wasm-visible arena (lib/page-memory.ts), encode() on " +
        "page views; mb@ = its arena entry point on page offsets, as C gets page pointers " +
        "(codecs/types.ts ArenaEncode); ratio = mb enc / C enc; median = median over rounds of " +
        "the ratio of adjacent passes; @ = the same for mb@; mem = reading both " +
        "pages whole (C, SSE2), the RAM ceiling for identical/zero; mb enc* = pages in plain JS " +
        "buffers (copied into wasm memory, 8 KiB/page); js enc = plain-JS encoder; mb dec+ = decode " +
        "into a separate page (adds the 4 KiB copy of previous).",
    );
    if (argv.json) {
      writeFileAtomic(argv.json, `${JSON.stringify(rows, null, 2)}\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runMain("bench:qemu-baseline", main);
}
