import { spawn } from "node:child_process";
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import { createInterface } from "node:readline";
import { parentPort, workerData } from "node:worker_threads";
import { makePagePairs, type PageKind } from "../page-kinds.ts";
import type { XbzrleEngine } from "../xbzrle.ts";
import { type PagePlacement, xbzrlePasses } from "./xbzrle-timing.ts";

/**
 * One kind's timings in a fresh worker (a fresh V8 isolate): timings of other kinds, engines
 * and placements in the same isolate leave the JIT's call sites polymorphic (a kernel instance
 * per arena) and slowed later kinds by up to 2x. The pairs are rebuilt here from
 * (kind, count, seed 1): the same bytes the C side reads from its file.
 *
 * With `c` set, the C harness (harness.c) runs as a child and the two sides take turns, pass
 * by pass, on the same pages: on this shared machine the memory bandwidth left to one VM
 * changes from second to second, and passes timed minutes apart (separate runs) differed by up
 * to 2x; adjacent passes see the same machine.
 */
export interface TimingJob {
  readonly kind: PageKind;
  readonly pairs: number;
  readonly passPages: number;
  readonly engine: XbzrleEngine;
  readonly placement: PagePlacement;
  /** Timed passes per side (and per measure). */
  readonly reps: number;
  /**
   * The compiled harness, and where to write the pairs for it (this worker writes the pairs it
   * made, so they are made once per worker); absent: time migbench alone.
   */
  readonly c?: { readonly binary: string; readonly pairsFile: string };
}

export interface CTotals {
  encodedBytes: number;
  overflows: number;
  unchanged: number;
  decodedPages: number;
}

/** Seconds per pass, in the order run; null where a side had nothing to decode. */
export interface TimingResult {
  readonly decodedBytesPerPass: number;
  readonly migbench: {
    encode: number[];
    /** Through the arena entry point (XbzrlePasses.encodeAt); null where there is none. */
    encodeAt: number[] | null;
    decode: number[] | null;
    decodeCopy: number[] | null;
    totals: { encodedBytes: number; overflows: number; unchanged: number };
  };
  readonly c?: { encode: number[]; decode: number[] | null; memory: number[]; totals: CTotals };
}

/** The C harness as a child that answers one line per command. */
function startHarness(binary: string, pairsFile: string, count: number, passPages: number) {
  const child = spawn(binary, [pairsFile, String(count), String(passPages)], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  const failed = new Promise<never>((_, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`the C harness exited with ${code}: ${stderr.trim()}`));
    });
  });
  failed.catch(() => {});
  lines.on("line", (line) => waiting.shift()?.(line));
  return {
    ask(command: string): Promise<string> {
      const answer = new Promise<string>((resolve) => waiting.push(resolve));
      child.stdin.write(`${command}\n`);
      return Promise.race([answer, failed]);
    },
    stop(): void {
      child.stdin.end("q\n");
    },
  };
}

const seconds = (line: string): number | null => (line === "-" ? null : Number(line));

async function run(job: TimingJob): Promise<TimingResult> {
  const pagePairs = makePagePairs(job.kind, job.pairs, 1);
  const passes = xbzrlePasses(job.kind, pagePairs, job.engine, job.placement, job.passPages);
  const mb = {
    encode: [] as number[],
    encodeAt: passes.encodeAt ? ([] as number[]) : null,
    decode: [] as number[] | null,
    decodeCopy: [] as number[] | null,
    totals: passes.totals,
  };
  // A side with nothing to decode answers null once, and its list becomes null.
  const push = (list: number[] | null, value: number | null): number[] | null => {
    if (value === null || list === null) return null;
    list.push(value);
    return list;
  };

  if (!job.c) {
    for (let r = 0; r < job.reps; r++) {
      mb.encode.push(passes.encode());
      if (passes.encodeAt) mb.encodeAt!.push(passes.encodeAt());
    }
    for (let r = 0; r < job.reps; r++) mb.decode = push(mb.decode, passes.decode());
    for (let r = 0; r < job.reps; r++) mb.decodeCopy = push(mb.decodeCopy, passes.decodeCopy());
    passes.verify();
    return { decodedBytesPerPass: passes.decodedBytesPerPass, migbench: mb };
  }

  // harness.c reads the old pages, then the new ones. fsync, so that writing 128 MiB back to
  // disk is over before the first pass instead of competing with it for memory bandwidth.
  const fd = openSync(job.c.pairsFile, "w");
  try {
    writeSync(fd, pagePairs.old);
    writeSync(fd, pagePairs.new);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const harness = startHarness(job.c.binary, job.c.pairsFile, job.pairs, job.passPages);
  const cEncode: number[] = [];
  const cMemory: number[] = [];
  let cDecode: number[] | null = [];
  let cTotals: CTotals;
  try {
    // Who goes first rotates, so no side always runs on another's warm caches.
    const sides: (() => Promise<void>)[] = [
      async () => {
        cEncode.push(Number(await harness.ask("e")));
      },
      async () => {
        mb.encode.push(passes.encode());
      },
    ];
    const encodeAt = passes.encodeAt;
    if (encodeAt) {
      sides.push(async () => {
        mb.encodeAt!.push(encodeAt());
      });
    }
    for (let r = 0; r < job.reps; r++) {
      for (let s = 0; s < sides.length; s++) await sides[(r + s) % sides.length]();
      cMemory.push(Number(await harness.ask("m")));
    }
    for (let r = 0; r < job.reps; r++) {
      cDecode = push(cDecode, seconds(await harness.ask("d")));
      mb.decode = push(mb.decode, passes.decode());
      mb.decodeCopy = push(mb.decodeCopy, passes.decodeCopy());
    }
    cTotals = JSON.parse(await harness.ask("s")) as CTotals;
  } finally {
    harness.stop();
  }
  passes.verify();
  const c = { encode: cEncode, decode: cDecode, memory: cMemory, totals: cTotals };
  return { decodedBytesPerPass: passes.decodedBytesPerPass, migbench: mb, c };
}

run(workerData as TimingJob).then(
  (result) => parentPort!.postMessage(result),
  (error: unknown) => {
    throw error;
  },
);
