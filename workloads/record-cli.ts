import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { checkWritableFile } from "../lib/atomic-file.ts";
import { outputError, UsageError } from "../lib/errors.ts";
import { joinNegativeValues, singleValued } from "../lib/flag-list.ts";
import { sizeLabel } from "../lib/format.ts";
import { runMain } from "../lib/main.ts";
import { parseBytes, parseDurationMs, parseInteger } from "../lib/units.ts";
import { type RecordProgress, type RecordSummary, recordProcess } from "./recorder.ts";

/** The largest pid Linux hands out (PID_MAX_LIMIT, include/linux/threads.h: 2^22 on 64-bit). */
const PID_MAX_LIMIT = 2 ** 22;

/**
 * `npm run record`: record a live process's memory as a trace.
 *   npm run record -- --pid PID --interval 200ms --duration 10s --out app.trace
 *   npm run record -- --out app.trace [--interval 200ms] [--duration 10s] -- CMD ARGS...
 *   npm run record -- --pid QEMU_PID --mapping-size 524280k --fine 5ms --duration 5s --out vm.trace
 * Ctrl-C stops recording and still finishes the file (index written, atomic rename).
 */

/** The command line, checked. */
interface RecordArgs {
  readonly out: string;
  /** The command to start (`-- CMD ARGS...`); empty with --pid. */
  readonly command: readonly string[];
  readonly givenPid: number | undefined;
  readonly intervalMs: number;
  readonly durationMs: number | null;
  readonly level: number;
  readonly fineMs: number | null;
  readonly mappingBytes: number | null;
}

async function main(): Promise<number> {
  const args = await parseArgs();
  const { command, intervalMs, durationMs, fineMs, mappingBytes } = args;
  // Before a command starts or a snapshot is taken: the trace must have somewhere to go.
  checkWritableFile(args.out);

  const started = command.length > 0 ? await startCommand(command) : null;
  const pid = started?.pid ?? args.givenPid ?? 0;

  // Ctrl-C: the first stops recording and finishes the file; a second one aborts.
  const controller = new AbortController();
  let interrupts = 0;
  const onInterrupt = (): void => {
    interrupts++;
    if (interrupts === 1) {
      progressLine("interrupted: finishing the trace (Ctrl-C again to abandon it)", true);
      controller.abort();
    } else process.exit(130);
  };
  process.on("SIGINT", onInterrupt);
  process.on("SIGTERM", onInterrupt);

  const progress = snapshotProgress(() =>
    progressLine(
      `recording pid ${pid}${command.length > 0 ? ` (${command.join(" ")})` : ""}${mappingBytes === null ? "" : ` (only its ${mappingBytes / 1024}k mapping)`}: content diff every ${intervalMs} ms${fineMs === null ? "" : `, hot pages re-read every ${fineMs} ms`}${durationMs === null ? "" : ` for ${durationMs / 1000} s`} → ${args.out}`,
      true,
    ),
  );
  try {
    const summary = await recordProcess({
      pid,
      out: resolve(args.out),
      intervalMs,
      durationMs,
      level: args.level,
      fineMs,
      mappingBytes,
      signal: controller.signal,
      onSnapshot: progress.onSnapshot,
      exited: () => started?.exited() ?? false,
      label: command.length > 0 ? `the command \`${command[0]}\` (pid ${pid})` : undefined,
      metadata: command.length > 0 ? { command, spawned: true } : { command: readCommandLine(pid) },
    });
    progress.flushFirst();
    if (process.stderr.isTTY === true) process.stderr.write("\n");
    progressLine(summaryLine(args.out, summary), true);
  } catch (error) {
    // A write(2) that fails mid-recording (ENOSPC) has no path of its own.
    throw outputError(args.out, error);
  } finally {
    process.off("SIGINT", onInterrupt);
    process.off("SIGTERM", onInterrupt);
    // A command we started and that outlived the recording is ours to stop.
    if (started !== null && !started.exited()) started.child.kill("SIGTERM");
  }
  return 0;
}

async function parseArgs(): Promise<RecordArgs> {
  const argv = await yargs(joinNegativeValues(hideBin(process.argv), ["help", "version"]))
    .scriptName("npm run record --")
    .usage(
      "$0 --out FILE (--pid PID | -- CMD ARGS...) [--interval 200ms] [--duration 10s]\n\nRecord a Linux process's writable memory every interval as a migbench trace (docs/TRACE_FORMAT.md).",
    )
    .parserConfiguration({ "populate--": true })
    .option("out", { type: "string", demandOption: true, describe: "trace file to write" })
    .option("pid", { type: "string", describe: "record this running process" })
    .option("interval", { type: "string", default: "200ms", describe: "time between snapshots" })
    .option("duration", {
      type: "string",
      describe: "stop after this long (default: until the process exits or Ctrl-C)",
    })
    .option("fine", {
      type: "string",
      describe:
        "between snapshots, re-read the pages the last one found changed as often as this (e.g. 5ms) and record rewrites as touch epochs (default: off)",
    })
    .option("mapping-size", {
      type: "string",
      describe:
        "record only the writable private mapping of exactly this size, e.g. a QEMU guest's RAM: 524280k (k/M/G as QEMU's -m: powers of 1024; or 512MiB); trace page n = its page n",
    })
    .option("level", {
      type: "string",
      default: "1",
      describe: "deflate level 0-9 (higher: smaller file, slower snapshots; 0 stores)",
    })
    .example("$0 --pid 1234 --interval 200ms --duration 10s --out app.trace", "")
    .example("$0 --out sort.trace --duration 5s -- sort -S 64M big.txt", "")
    .example(
      "$0 --pid 4321 --mapping-size 524280k --interval 200ms --fine 5ms --duration 5s --out vm.trace",
      "a QEMU guest with -m 524280k",
    )
    .check(singleValued(["out", "pid", "interval", "duration", "level", "fine", "mapping-size"]))
    .strict()
    .help()
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    })
    .parse();

  const command = ((argv["--"] as (string | number)[] | undefined) ?? []).map(String);
  if (argv._.length > 0)
    throw new UsageError(`unexpected arguments ${argv._.join(" ")} (put the command after --)`);
  if ((argv.pid === undefined) === (command.length === 0))
    throw new UsageError("give either --pid PID or -- CMD ARGS... (exactly one)");
  const givenPid =
    argv.pid === undefined
      ? undefined
      : parseInteger(argv.pid, "--pid", 1, PID_MAX_LIMIT, "Linux's PID_MAX_LIMIT");
  const intervalMs = parseDurationMs(argv.interval, "--interval");
  if (!(intervalMs >= 1))
    throw new UsageError(`--interval: "${argv.interval}" is shorter than 1ms`);
  const durationMs =
    argv.duration === undefined ? null : parseDurationMs(argv.duration, "--duration");
  if (durationMs !== null && !(durationMs > 0))
    throw new UsageError(`--duration: "${argv.duration}" must be positive`);
  const level = parseInteger(argv.level, "--level", 0, 9, "deflate levels");
  const fineMs = argv.fine === undefined ? null : parseDurationMs(argv.fine, "--fine");
  if (fineMs !== null && !(fineMs > 0 && fineMs < intervalMs))
    throw new UsageError(
      `--fine: "${argv.fine}" must be positive and shorter than --interval (${intervalMs} ms)`,
    );
  const mappingBytes =
    argv["mapping-size"] === undefined ? null : parseMappingSize(argv["mapping-size"]);
  return { out: argv.out, command, givenPid, intervalMs, durationMs, level, fineMs, mappingBytes };
}

/**
 * --mapping-size: QEMU's -m spelling (a number with k, M, G or T: powers of 1024, as
 * util/cutils.c qemu_strtosz reads it), so the guest's -m value can be pasted; otherwise a
 * size as everywhere else (512MiB, 536862720). A whole number of pages.
 */
function parseMappingSize(text: string): number {
  const qemu = /^(\d+)([kKMGT])$/.exec(text);
  const scale: Record<string, number> = {
    k: 1024,
    K: 1024,
    M: 1024 ** 2,
    G: 1024 ** 3,
    T: 1024 ** 4,
  };
  const bytes =
    qemu === null ? parseBytes(text, "--mapping-size") : Number(qemu[1]) * scale[qemu[2]];
  if (!(bytes > 0 && bytes % 4096 === 0 && Number.isSafeInteger(bytes)))
    throw new UsageError(
      `--mapping-size: "${text}" is not a positive whole number of 4096-byte pages`,
    );
  return bytes;
}

/** Start `command` with our stdio; resolves once it runs (a command not found is a UsageError). */
async function startCommand(command: readonly string[]) {
  const child = spawn(command[0], command.slice(1), { stdio: "inherit" });
  let exited = false;
  child.on("exit", () => {
    exited = true;
  });
  await new Promise<void>((done, fail) => {
    child.once("spawn", done);
    child.once("error", (error) =>
      fail(new UsageError(`cannot run ${command[0]}: ${(error as Error).message}`)),
    );
  });
  return { child, pid: child.pid ?? 0, exited: (): boolean => exited };
}

/**
 * The progress lines: one updating line on a terminal, a line every 2 s otherwise. The first
 * snapshot's lines (`announce`'s and its own) wait for the second: a process that exits (or
 * cannot be read) before there is anything to record gets its one error line and nothing else,
 * whichever side of the first snapshot it exits on.
 */
function snapshotProgress(announce: () => void) {
  const tty = process.stderr.isTTY === true;
  let lastPlainLine = 0;
  let first: RecordProgress | null = null;
  const show = (p: RecordProgress): void => {
    const fine = p.fineReads > 0 ? `  ${p.fineReads} re-reads, ${p.touchEpochs} touch epochs` : "";
    const text = `epoch ${p.epoch}  t=${p.timeS.toFixed(2)}s${fine}  changed ${p.changedPages} of ${p.readPages} pages read (${p.virtualPages} mapped)  ${sizeLabel(p.bytesWritten)} written  ${p.snapshotMs.toFixed(0)} ms${p.unreadablePages > 0 ? `  ${p.unreadablePages} unreadable` : ""}`;
    if (tty) progressLine(text, false);
    else if (p.epoch === 0 || performance.now() - lastPlainLine > 2000) {
      lastPlainLine = performance.now();
      progressLine(text, true);
    }
  };
  const flushFirst = (): void => {
    if (first === null) return;
    const held = first;
    first = null;
    announce();
    show(held);
  };
  const onSnapshot = (p: RecordProgress): void => {
    if (p.epoch === 0) {
      first = p;
      return;
    }
    flushFirst();
    show(p);
  };
  return { onSnapshot, flushFirst };
}

function summaryLine(out: string, summary: RecordSummary): string {
  return `wrote ${out}: ${sizeLabel(summary.bytes)}, ${summary.epochs - summary.touchEpochs} epochs${summary.touchEpochs > 0 ? ` and ${summary.touchEpochs} touch epochs (${summary.touches} touches)` : ""} over ${summary.durationS.toFixed(2)} s, ${summary.virtualPages} pages (${sizeLabel(summary.virtualPages * 4096)}), ${summary.changedPages} page changes; capture: ${summary.captureMethod}; ended by ${summary.endedBy}${summary.skippedSlots > 0 ? `; ${summary.skippedSlots} interval slots skipped because a snapshot took longer than --interval (use a longer --interval or a lower --level)` : ""}${summary.unreadablePages > 0 ? `; ${summary.unreadablePages} unreadable page reads skipped` : ""}`;
}

function progressLine(text: string, final: boolean): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}${final ? "\n" : ""}`);
  else process.stderr.write(`${text}\n`);
}

function readCommandLine(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, "latin1");
    return raw.split("\0").filter((part) => part !== "");
  } catch {
    return undefined;
  }
}

await runMain("record", main);
