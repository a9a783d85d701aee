/**
 * `npm run fuzz:codecs [-- --cases N --codec NAME,... --seed S --hang-seconds T]`: feeds every
 * registered codec's decoder (resolveCodecs(["all"]) unless --codec names some) random streams
 * and mutated real encodings (bit flips, truncation, insertions, deletions, length-byte edits,
 * splices), ≥ 1,000,000 cases in total by default, and checks that each decoder
 * - throws nothing but CodecError;
 * - never hangs: each codec runs in a worker the main thread watches; no progress for
 *   --hang-seconds is a finding (with the input that hung);
 * - never writes outside the page: the page is a view with guard bytes on both sides;
 * - never reads past the input: the stream is a subarray of a larger buffer whose tail is
 *   poison, decoded twice with two different poisons; any difference in outcome is a finding.
 * Prints a summary line per codec; exits 1 on any finding.
 */
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { UsageError } from "../lib/errors.ts";
import { flagList, joinNegativeValues, singleList, singleValued } from "../lib/flag-list.ts";
import { runMain } from "../lib/main.ts";
import { Prng } from "../lib/prng.ts";
import { parseInteger, parseNumber } from "../lib/units.ts";
import { makePagePairs, PAGE_KINDS } from "./page-kinds.ts";
import {
  callCodec,
  codecLabel,
  createChecked,
  describeThrown,
  installExitGuard,
  PluginError,
} from "./plugin.ts";
import { loadCodecModule, resolveCodecs } from "./registry.ts";
import { type CodecDefinition, CodecError, PAGE_SIZE } from "./types.ts";

const MAX_STREAM = 16384;
const GUARD = 64;
const POISON_BYTES = 64;
/**
 * Shared with the watchdog: [cases done, current input length, 1 once the worker has loaded
 * and starts calling the codec], then the input's bytes.
 */
const STATUS_INTS = 3;
/**
 * How long a worker may take to load (tsx, the codecs, a plug-in) before it calls the codec.
 * Loading is not the codec's time: --hang-seconds starts counting once the worker is ready, or a
 * loaded machine reports a hang at case 0 that is only a slow start.
 */
const STARTUP_LIMIT_S = 120;

interface FuzzJob {
  codec: string;
  codecModule?: string;
  cases: number;
  seed: number;
  status: SharedArrayBuffer;
}

interface Finding {
  kind: string;
  detail: string;
  input: string;
}

interface FuzzSummary {
  codec: string;
  cases: number;
  accepted: number;
  rejected: number;
  findings: Finding[];
  findingCount: number;
  seconds: number;
}

const toHex = (bytes: Uint8Array) =>
  Buffer.from(bytes.subarray(0, 48)).toString("hex") + (bytes.length > 48 ? "…" : "");

/** Real encodings of every page kind: the seeds the mutations start from. */
function buildCorpus(definition: CodecDefinition, previous: Uint8Array): Uint8Array[] {
  const codec = definition.create();
  const corpus: Uint8Array[] = [];
  const out = new Uint8Array(2 * PAGE_SIZE + 64);
  for (const kind of PAGE_KINDS) {
    const pairs = makePagePairs(kind, 3, 11);
    for (let i = 0; i < pairs.count; i++) {
      const old = pairs.old.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
      const page = pairs.new.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
      const n = codec.encode(page, definition.usesPrevious ? old : null, out, out.length);
      if (n > 0) corpus.push(out.slice(0, n));
    }
  }
  const zeroPage = new Uint8Array(PAGE_SIZE);
  const n = codec.encode(zeroPage, definition.usesPrevious ? previous : null, out, out.length);
  if (n > 0) corpus.push(out.slice(0, n));
  return corpus;
}

/** One case's stream, written into `stream`; returns its length. */
function makeCase(prng: Prng, corpus: Uint8Array[], stream: Uint8Array): number {
  const choice = prng.below(10);
  let length: number;
  if (choice < 3 || corpus.length === 0) {
    // random bytes, mostly short (where run and length headers are)
    const r = prng.below(10);
    length = r < 6 ? prng.below(17) : r < 9 ? prng.below(301) : prng.below(4300);
    for (let i = 0; i < length; i++) stream[i] = prng.nextUint32() & 0xff;
    return length;
  }
  const seed = corpus[prng.below(corpus.length)];
  stream.set(seed);
  length = seed.length;
  const mutations = 1 + prng.below(3);
  for (let m = 0; m < mutations; m++) {
    const at = length === 0 ? 0 : prng.below(length);
    switch (prng.below(7)) {
      case 0: // bit flip
        if (length) stream[at] ^= 1 << prng.below(8);
        break;
      case 1: // truncation
        length = at;
        break;
      case 2: {
        // insertion of 1-4 random bytes
        const k = Math.min(1 + prng.below(4), MAX_STREAM - length);
        stream.copyWithin(at + k, at, length);
        for (let i = 0; i < k; i++) stream[at + i] = prng.nextUint32() & 0xff;
        length += k;
        break;
      }
      case 3: {
        // deletion of 1-4 bytes
        const k = Math.min(1 + prng.below(4), length - at);
        stream.copyWithin(at, at + k, length);
        length -= k;
        break;
      }
      case 4: // length-byte edits: the values where 1- and 2-byte lengths change meaning
        if (length) stream[at] = [0x00, 0x01, 0x7f, 0x80, 0x81, 0xff, 0x10, 0x20][prng.below(8)];
        break;
      case 5: // random byte
        if (length) stream[at] = prng.nextUint32() & 0xff;
        break;
      default: {
        // splice: this prefix, another encoding's suffix
        const other = corpus[prng.below(corpus.length)];
        const from = prng.below(other.length + 1);
        const k = Math.min(other.length - from, MAX_STREAM - at);
        stream.set(other.subarray(from, from + k), at);
        length = at + k;
      }
    }
  }
  return length;
}

function fuzzCodec(job: FuzzJob, definition: CodecDefinition): FuzzSummary {
  const started = performance.now();
  const status = new Int32Array(job.status, 0, STATUS_INTS);
  const statusBytes = new Uint8Array(job.status, STATUS_INTS * 4);
  Atomics.store(status, 2, 1);
  const prng = new Prng(job.seed);
  const previous = new Uint8Array(PAGE_SIZE);
  prng.fill(previous);
  const corpus = callCodec(definition, "encode() (building the corpus)", () =>
    buildCorpus(definition, previous),
  );
  const codec = createChecked(definition);
  const input = new Uint8Array(MAX_STREAM + POISON_BYTES);
  const frame = new Uint8Array(PAGE_SIZE + 2 * GUARD);
  const page = frame.subarray(GUARD, GUARD + PAGE_SIZE);
  const firstPage = new Uint8Array(PAGE_SIZE);
  const summary: FuzzSummary = {
    codec: definition.name,
    cases: 0,
    accepted: 0,
    rejected: 0,
    findings: [],
    findingCount: 0,
    seconds: 0,
  };
  // What is wrong with the current case. Each case is decoded twice (two poisons), so the same
  // fault usually shows twice: a case with any problems is one finding, its distinct problems
  // listed together.
  const problems: { kind: string; detail: string }[] = [];
  const problem = (kind: string, detail: string) => {
    if (!problems.some((p) => p.kind === kind && p.detail === detail))
      problems.push({ kind, detail });
  };
  const report = (stream: Uint8Array) => {
    summary.findingCount++;
    if (summary.findings.length >= 5) return;
    const kind = [...new Set(problems.map((p) => p.kind))].join(" + ");
    const detail = problems.map((p) => p.detail).join("; ");
    summary.findings.push({ kind, detail, input: toHex(stream) });
  };

  // Decode with the given poison after the stream; returns "ok", "rejected" or the finding.
  const attempt = (length: number, poison: number): string => {
    input.fill(poison, length, length + POISON_BYTES);
    frame.fill(0xee);
    page.fill(0x5a);
    const stream = input.subarray(0, length);
    let outcome = "ok";
    try {
      codec.decode(stream, previous, page);
    } catch (error) {
      if (error instanceof CodecError) outcome = "rejected";
      else if (error instanceof PluginError) {
        // The exit guard (fuzzPlugin) stopped a plug-in's process.exit(): the decoder would
        // have ended the receiver.
        problem("process.exit()", error.problem);
        outcome = "exited";
      } else {
        problem("non-CodecError", describeThrown(error));
        outcome = "threw";
      }
    }
    for (let i = 0; i < GUARD; i++) {
      if (frame[i] !== 0xee || frame[GUARD + PAGE_SIZE + i] !== 0xee) {
        problem("wrote outside the page", `guard byte ${i} changed`);
        break;
      }
    }
    return outcome;
  };

  for (let c = 0; c < job.cases; c++) {
    const length = makeCase(prng, corpus, input);
    problems.length = 0;
    status[1] = length;
    statusBytes.set(input.subarray(0, Math.min(length, statusBytes.length)));
    const first = attempt(length, 0x00);
    firstPage.set(page);
    const second = attempt(length, 0xff);
    if (first !== second || (first === "ok" && Buffer.compare(firstPage, page) !== 0)) {
      problem("reads past the input", `outcome with poison 0x00: ${first}, with 0xff: ${second}`);
    }
    if (problems.length > 0) report(input.subarray(0, length));
    if (first === "ok") summary.accepted++;
    else summary.rejected++;
    summary.cases++;
    Atomics.store(status, 0, summary.cases);
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/** Run one codec's fuzz in a worker, watching its progress; a stall is a hang finding. */
function runWorker(
  job: Omit<FuzzJob, "status">,
  label: string,
  hangSeconds: number,
): Promise<FuzzSummary> {
  const status = new SharedArrayBuffer(STATUS_INTS * 4 + MAX_STREAM);
  const counters = new Int32Array(status, 0, STATUS_INTS);
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { ...job, status } });
  return new Promise((resolve, reject) => {
    const spawned = Date.now();
    let ready = false;
    let lastCount = -1;
    let lastChange = Date.now();
    const watchdog = setInterval(() => {
      if (!ready) {
        ready = Atomics.load(counters, 2) === 1;
        lastChange = Date.now();
        if (ready || Date.now() - spawned < STARTUP_LIMIT_S * 1000) return;
      }
      const count = Atomics.load(counters, 0);
      if (count !== lastCount) {
        lastCount = count;
        lastChange = Date.now();
        return;
      }
      if (ready && Date.now() - lastChange < hangSeconds * 1000) return;
      clearInterval(watchdog);
      const length = counters[1];
      const stream = new Uint8Array(status, STATUS_INTS * 4, Math.min(length, MAX_STREAM));
      void worker.terminate();
      resolve({
        codec: job.codec,
        cases: count,
        accepted: 0,
        rejected: 0,
        findings: [
          {
            kind: "hang",
            detail: ready
              ? `no progress for ${hangSeconds} s at case ${count}`
              : `the worker did not start calling the codec within ${STARTUP_LIMIT_S} s`,
            input: toHex(stream),
          },
        ],
        findingCount: 1,
        seconds: 0,
      });
    }, 250);
    worker.once("message", (summary: FuzzSummary | { failure: string }) => {
      clearInterval(watchdog);
      if ("failure" in summary) reject(new PluginError(label, summary.failure));
      else resolve(summary);
    });
    worker.once("error", (error) => {
      clearInterval(watchdog);
      // A plug-in's throw from a timer it left behind: one line naming it. A built-in's is a bug.
      if (job.codecModule === undefined) reject(error);
      else reject(new PluginError(label, describeThrown(error)));
    });
    // A worker that ends without its summary (an exit the guard could not see) used to leave
    // the watchdog to call it a hang 20 s later.
    worker.once("exit", (code) => {
      clearInterval(watchdog);
      reject(new PluginError(label, `the fuzz worker exited (code ${code}) before it finished`));
    });
  });
}

/**
 * A plug-in's fuzz, run under an exit guard for the whole worker: a decoder's process.exit()
 * on a malformed stream is a finding (the receiver would die), and a throw or exit while
 * building the corpus or creating the codec is a failure, one line naming the plug-in.
 */
function fuzzPlugin(job: FuzzJob, definition: CodecDefinition): FuzzSummary | { failure: string } {
  const guard = installExitGuard(codecLabel(definition), "decode()");
  try {
    return fuzzCodec(job, definition);
  } catch (error) {
    if (error instanceof PluginError) return { failure: error.problem };
    return { failure: describeThrown(error) };
  } finally {
    guard.restore();
  }
}

async function workerMain(): Promise<void> {
  const job = workerData as FuzzJob;
  const plugins = job.codecModule ? [await loadCodecModule(job.codecModule)] : [];
  const [definition] = resolveCodecs([job.codec], plugins);
  parentPort!.postMessage(
    plugins.includes(definition) ? fuzzPlugin(job, definition) : fuzzCodec(job, definition),
  );
}

/** Cases done are counted in an Int32Array the watchdog reads (STATUS_INTS). */
const MAX_CASES = 2 ** 31 - 1;
/** Seeds are 32-bit (lib/prng.ts). */
const MAX_SEED = 2 ** 32 - 1;
/**
 * The watchdog's limit counts from when the worker is loaded (STARTUP_LIMIT_S), but building
 * the corpus (a few hundred encodes) still counts as no progress: a shorter limit reports hangs
 * that are not there on a loaded machine.
 */
const MIN_HANG_SECONDS = 5;

async function main(): Promise<number> {
  const argv = await yargs(joinNegativeValues(hideBin(process.argv), ["help", "version"]))
    .scriptName("fuzz:codecs")
    .usage("$0 [--cases N] [--codec NAME,...] [--codec-module FILE] [--seed S]")
    .option("cases", {
      type: "string",
      default: "1000000",
      describe: `cases in total, shared among the codecs (1 to ${MAX_CASES})`,
    })
    .option("codec", { type: "string", describe: "codecs to fuzz, one comma list (default: all)" })
    .option("codec-module", { type: "string", describe: "also fuzz a plug-in codec" })
    .option("seed", {
      type: "string",
      default: "1",
      describe: "PRNG seed, 0..2^32-1 (runs are reproducible)",
    })
    .option("hang-seconds", {
      type: "string",
      default: "20",
      describe: `a decoder making no progress this long (≥ ${MIN_HANG_SECONDS}) is reported as a hang`,
    })
    .check(singleValued(["cases", "codec-module", "seed", "hang-seconds"]))
    .check(singleList(["codec"]))
    .strict()
    .help()
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .parseAsync();
  const cases = parseInteger(argv.cases, "--cases", 1, MAX_CASES, "the progress counter is 32-bit");
  const seed = parseInteger(argv.seed, "--seed", 0, MAX_SEED, "seeds are 32-bit");
  const hangSeconds = parseNumber(argv.hangSeconds, "--hang-seconds", {
    min: MIN_HANG_SECONDS,
    inclusive: true,
    unit: "s (a worker's start-up counts as no progress)",
  });
  const plugins = argv.codecModule ? [await loadCodecModule(argv.codecModule)] : [];
  const names = flagList(argv.codec, "codec") ?? ["all"];
  const codecs = resolveCodecs(names, plugins);
  if (plugins.length && !codecs.includes(plugins[0])) codecs.push(plugins[0]);
  const perCodec = Math.ceil(cases / codecs.length);
  const started = performance.now();
  let total = 0;
  let findings = 0;
  for (const [index, definition] of codecs.entries()) {
    const summary = await runWorker(
      {
        codec: definition.name,
        codecModule: plugins.includes(definition) ? argv.codecModule : undefined,
        cases: perCodec,
        seed: seed * 1_000_003 + index,
      },
      codecLabel(definition),
      hangSeconds,
    );
    total += summary.cases;
    findings += summary.findingCount;
    console.log(
      `${summary.codec.padEnd(14)} ${String(summary.cases).padStart(9)} cases  ` +
        `${String(summary.accepted).padStart(8)} accepted  ${String(summary.rejected).padStart(8)} rejected  ` +
        `${summary.seconds.toFixed(1).padStart(6)} s  ${summary.findingCount} finding(s)`,
    );
    for (const finding of summary.findings) {
      console.log(`  FINDING ${finding.kind}: ${finding.detail}; input ${finding.input}`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${total} cases over ${codecs.length} codecs in ${seconds.toFixed(1)} s: ${findings} finding(s)`,
  );
  return findings > 0 ? 1 : 0;
}

if (!isMainThread && (workerData as FuzzJob | undefined)?.status) {
  await workerMain();
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runMain("fuzz:codecs", main);
}
