/**
 * `npm run bench:qemu-baseline [-- --pairs N --reps N --kind K --json FILE]`: compiles the
 * re-implementation of QEMU's scalar XBZRLE algorithm (xbzrle-scalar.c, not QEMU's code) with
 * gcc -O2 into a temp dir and times it on the same page pairs as the codec benchmark
 * (codecs/page-kinds.ts, 16384 pairs = 64 MiB old + 64 MiB new per kind), printing GB/s per
 * kind. This is the side-by-side reference issue 2 asks migbench's xbzrle to match.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { writeFileAtomic } from "../../harness/atomic-file.ts";
import { InputError, UsageError } from "../../harness/errors.ts";
import { runMain } from "../../harness/main.ts";
import {
  isPageKind,
  makePagePairs,
  PAGE_KINDS,
  type PageKind,
  type PagePairs,
} from "../page-kinds.ts";
import { defaultXbzrleEngine } from "../xbzrle.ts";
import type { TimingJob } from "./timing-worker.ts";
import type { XbzrleTiming } from "./xbzrle-timing.ts";

export interface BaselineRow {
  kind: PageKind;
  encodeGBps: number;
  decodeGBps: number | null;
  encodedPercent: number;
  overflowPercent: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const PRELOAD = fileURLToPath(new URL("../../scripts/register-tsx.cjs", import.meta.url));

/** Time migbench's xbzrle in a fresh worker (timing-worker.ts says why). */
function timeInWorker(job: TimingJob): Promise<XbzrleTiming> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(join(here, "timing-worker.ts"), {
      workerData: job,
      execArgv: ["--require", PRELOAD],
    });
    worker.once("message", (timing: XbzrleTiming) => {
      resolve(timing);
      void worker.terminate();
    });
    worker.once("error", reject);
  });
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

/** Time one kind: the pairs go to the harness on stdin (old pages, then new pages). */
export function runBaselineKind(
  binary: string,
  kind: PageKind,
  pagePairs: PagePairs,
  reps: number,
): BaselineRow {
  const { old, new: next, count: pairs } = pagePairs;
  const input = Buffer.concat([
    Buffer.from(old.buffer, old.byteOffset, old.length),
    Buffer.from(next.buffer, next.byteOffset, next.length),
  ]);
  const run = spawnSync(binary, [String(pairs), String(reps)], {
    input,
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (run.status !== 0) {
    throw new InputError(binary, `the baseline failed on ${kind}: ${run.stderr.trim()}`);
  }
  const result = JSON.parse(run.stdout) as {
    encodeGBps: number;
    decodeGBps: number | null;
    encodedBytes: number;
    overflows: number;
    unchanged: number;
  };
  return {
    kind,
    encodeGBps: result.encodeGBps,
    decodeGBps: result.decodeGBps,
    encodedPercent: (100 * result.encodedBytes) / (pairs * 4096),
    overflowPercent: (100 * result.overflows) / pairs,
  };
}

interface ComparisonRow {
  kind: PageKind;
  qemuScalar: BaselineRow;
  /** migbench xbzrle, default engine, pages in a wasm-visible arena (no copy). */
  migbench?: XbzrleTiming;
  /** Same engine, pages in plain JS buffers (the wasm kernel copies them in). */
  migbenchPlainBuffers?: XbzrleTiming;
  /** The plain-JS encoder (the fallback without wasm SIMD). */
  migbenchJs?: XbzrleTiming;
}

function keepBest(a: XbzrleTiming | undefined, b: XbzrleTiming): XbzrleTiming {
  if (!a) return b;
  const max = (x: number | null, y: number | null) =>
    x === null ? y : y === null ? x : Math.max(x, y);
  return {
    encodeGBps: Math.max(a.encodeGBps, b.encodeGBps),
    decodeGBps: max(a.decodeGBps, b.decodeGBps),
    decodeCopyGBps: max(a.decodeCopyGBps, b.decodeCopyGBps),
  };
}

const gbps = (x: number | null | undefined, width: number) =>
  (x === null || x === undefined ? "-" : x.toFixed(2)).padStart(width);

async function main(): Promise<number> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName("bench:qemu-baseline")
    .usage("$0 [--pairs N] [--reps N] [--rounds N] [--kind K...] [--no-migbench] [--json FILE]")
    .option("pairs", { type: "number", default: 16384, describe: "page pairs per kind" })
    .option("reps", {
      type: "number",
      default: 5,
      describe: "timed passes per round; the best is kept",
    })
    .option("rounds", {
      type: "number",
      default: 2,
      describe: "C and migbench take turns this many times per kind (the best of each is kept)",
    })
    .option("kind", { type: "string", array: true, describe: `page kinds (${PAGE_KINDS})` })
    .option("migbench", {
      type: "boolean",
      default: true,
      describe: "also time migbench's xbzrle on the same pairs, side by side",
    })
    .option("json", { type: "string", describe: "also write the rows as JSON to FILE" })
    .strict()
    .help()
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .parseAsync();
  for (const name of ["pairs", "reps", "rounds"] as const) {
    if (!Number.isInteger(argv[name]) || argv[name] < 1)
      throw new UsageError(`--${name} must be ≥ 1`);
  }
  const kinds = (argv.kind ?? [...PAGE_KINDS]).map((k) => {
    if (!isPageKind(k)) throw new UsageError(`unknown --kind "${k}" (known: ${PAGE_KINDS})`);
    return k;
  });
  const { binary, dir } = compileBaseline();
  try {
    console.log(
      `QEMU scalar XBZRLE algorithm (re-implementation in C, gcc -O2) vs migbench xbzrle ` +
        `(${defaultXbzrleEngine}); ${argv.pairs} pairs per kind, best of ${argv.reps} x ${argv.rounds} ` +
        `rounds; GB/s of page bytes (4096 per pair) per CPU-second (both sides); decode in place; ` +
        `each timing in a fresh process (C) or worker (migbench). Node ${process.version}.`,
    );
    console.log(
      `${"kind".padEnd(13)}${"C enc".padStart(7)}${"mb enc".padStart(8)}${"ratio".padStart(7)}` +
        `${"mb enc*".padStart(9)}${"js enc".padStart(8)}${"C dec".padStart(8)}${"mb dec".padStart(8)}` +
        `${"mb dec+".padStart(9)}${"size %".padStart(8)}${"ovf %".padStart(7)}`,
    );
    const rows: ComparisonRow[] = [];
    for (const kind of kinds) {
      const pagePairs = makePagePairs(kind, argv.pairs, 1);
      let row: ComparisonRow | undefined;
      for (let round = 0; round < argv.rounds; round++) {
        const c = runBaselineKind(binary, kind, pagePairs, argv.reps);
        if (!row) row = { kind, qemuScalar: c };
        else {
          row.qemuScalar.encodeGBps = Math.max(row.qemuScalar.encodeGBps, c.encodeGBps);
          if (c.decodeGBps !== null) {
            row.qemuScalar.decodeGBps = Math.max(row.qemuScalar.decodeGBps ?? 0, c.decodeGBps);
          }
        }
        if (argv.migbench) {
          const job = { kind, pairs: argv.pairs, reps: argv.reps };
          row.migbench = keepBest(
            row.migbench,
            await timeInWorker({ ...job, engine: defaultXbzrleEngine, placement: "arena" }),
          );
          row.migbenchPlainBuffers = keepBest(
            row.migbenchPlainBuffers,
            await timeInWorker({ ...job, engine: defaultXbzrleEngine, placement: "plain" }),
          );
          row.migbenchJs = keepBest(
            row.migbenchJs,
            await timeInWorker({ ...job, engine: "js", placement: "plain" }),
          );
        }
      }
      const r = row!;
      rows.push(r);
      const ratio = r.migbench
        ? `${(r.migbench.encodeGBps / r.qemuScalar.encodeGBps).toFixed(2)}x`
        : "-";
      console.log(
        `${kind.padEnd(13)}${gbps(r.qemuScalar.encodeGBps, 7)}${gbps(r.migbench?.encodeGBps, 8)}${ratio.padStart(7)}` +
          `${gbps(r.migbenchPlainBuffers?.encodeGBps, 9)}${gbps(r.migbenchJs?.encodeGBps, 8)}` +
          `${gbps(r.qemuScalar.decodeGBps, 8)}${gbps(r.migbench?.decodeGBps, 8)}${gbps(r.migbench?.decodeCopyGBps, 9)}` +
          `${r.qemuScalar.encodedPercent.toFixed(2).padStart(8)}${r.qemuScalar.overflowPercent.toFixed(1).padStart(7)}`,
      );
    }
    console.log(
      "mb = migbench xbzrle, pages in a wasm-visible arena (codecs/page-memory.ts); mb enc* = pages in " +
        "plain JS buffers (copied into wasm memory, 8 KiB/page); js enc = plain-JS encoder; mb dec+ = " +
        "decode into a separate page (adds the 4 KiB copy of previous). Timings are noisy on a shared machine.",
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
