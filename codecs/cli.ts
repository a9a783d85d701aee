/**
 * `npm run codec -- <command>`: one page through a codec, and the XBZRLE vector check.
 *   encode --codec xbzrle --previous old.bin --page new.bin [--limit N] --out delta.bin
 *   decode --codec xbzrle --previous old.bin --delta delta.bin --out page.bin
 *   verify DIR            (every vector directory in DIR against xbzrle; exit 1 on a failure)
 * A thin shell: the codecs and codecs/vector-check.ts do the work.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import yargs, { type Argv } from "yargs";
import { hideBin } from "yargs/helpers";
import { checkReadableFile, checkWritableFile, writeFileAtomic } from "../lib/atomic-file.ts";
import { fileError, InputError, UsageError } from "../lib/errors.ts";
import { joinNegativeValues, singleValued } from "../lib/flag-list.ts";
import { runMain } from "../lib/main.ts";
import { MAX_KERNEL_LIMIT } from "../lib/page-memory.ts";
import { parseInteger } from "../lib/units.ts";
import {
  badEncodeResult,
  callCodec,
  codecLabel,
  createChecked,
  isEncodeResult,
  PluginError,
} from "./plugin.ts";
import { loadCodecModule, resolveCodecs } from "./registry.ts";
import { type CodecDefinition, OVERFLOW, PAGE_SIZE, UNCHANGED } from "./types.ts";
import { checkVectors, loadVectors } from "./vector-check.ts";

/**
 * A file's bytes in a fresh 8-byte-aligned buffer; `pageSized` insists on 4096 bytes. A file
 * that is missing, a directory or unreadable is an InputError naming it (exit 1), as every
 * file error is in every command.
 */
function readInput(path: string, what: string, pageSized: boolean): Uint8Array {
  checkReadableFile(path, what);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw fileError(path, error, `read the ${what}`);
  }
  if (pageSized && bytes.length !== PAGE_SIZE) {
    throw new InputError(
      path,
      `the ${what} must be ${PAGE_SIZE} bytes, this file has ${bytes.length}`,
    );
  }
  const copy = new Uint8Array(pageSized ? PAGE_SIZE : bytes.length);
  copy.set(bytes);
  return copy;
}

async function pickCodec(name: string, modulePath: string | undefined): Promise<CodecDefinition> {
  const plugins = modulePath ? [await loadCodecModule(modulePath)] : [];
  const codecs = resolveCodecs([name], plugins);
  if (codecs.length !== 1) {
    throw new UsageError(`--codec ${name} names ${codecs.length} codecs; give exactly one`);
  }
  return codecs[0];
}

function withCodec<T>(args: Argv<T>) {
  return args
    .option("codec", { type: "string", default: "xbzrle", describe: "codec name or alias" })
    .option("codec-module", { type: "string", describe: "load a plug-in codec from this module" })
    .option("previous", { type: "string", describe: "the cached previous copy (4096 bytes)" });
}

function previousFor(codec: CodecDefinition, path: string | undefined): Uint8Array | null {
  if (path) return readInput(path, "previous page", true);
  if (codec.usesPrevious) {
    throw new UsageError(`--previous is required: ${codec.name} encodes against the previous copy`);
  }
  return null;
}

async function encodeCommand(argv: {
  codec: string;
  codecModule?: string;
  previous?: string;
  page: string;
  limit: string;
  out: string;
}): Promise<number> {
  const limit = parseInteger(
    argv.limit,
    "--limit",
    0,
    MAX_KERNEL_LIMIT,
    "bytes; the codecs' output area, lib/page-memory.ts",
  );
  const definition = await pickCodec(argv.codec, argv.codecModule);
  const previous = previousFor(definition, argv.previous);
  const page = readInput(argv.page, "page", true);
  checkWritableFile(argv.out);
  const codec = createChecked(definition);
  const out = new Uint8Array(Math.max(limit, 1));
  const result = callCodec(definition, "encode()", () => codec.encode(page, previous, out, limit));
  // A plug-in's NaN, fraction or length past --limit must not be written out as a delta.
  if (!isEncodeResult(result, limit)) {
    throw badEncodeResult(definition, result, limit, argv.page);
  }
  const wire = callCodec(definition, "wireBytes()", () => codec.wireBytes(result));
  if (!Number.isSafeInteger(wire) || wire < result) {
    throw new PluginError(
      codecLabel(definition),
      `wireBytes(${result}) returned ${wire}; wire bytes are a whole number, at least the encoded length`,
    );
  }
  if (result === UNCHANGED) {
    writeFileAtomic(argv.out, new Uint8Array(0));
    console.log(`${definition.name}: unchanged (0): nothing to send; wrote an empty ${argv.out}`);
  } else if (result === OVERFLOW) {
    console.log(
      `${definition.name}: overflow (-1): the encoding does not fit ${limit} bytes; ` +
        `the page goes raw (${wire} wire bytes); ${argv.out} not written`,
    );
  } else {
    writeFileAtomic(argv.out, out.subarray(0, result));
    console.log(
      `${definition.name}: ${result}-byte delta (${((100 * result) / PAGE_SIZE).toFixed(2)} % of the page, ${wire} wire bytes) written to ${argv.out}`,
    );
  }
  return 0;
}

async function decodeCommand(argv: {
  codec: string;
  codecModule?: string;
  previous?: string;
  delta: string;
  out: string;
}): Promise<number> {
  const definition = await pickCodec(argv.codec, argv.codecModule);
  const previous = previousFor(definition, argv.previous);
  const delta = readInput(argv.delta, "delta", false);
  checkWritableFile(argv.out);
  const page = new Uint8Array(PAGE_SIZE);
  const codec = createChecked(definition);
  callCodec(definition, "decode()", () => codec.decode(delta, previous, page));
  writeFileAtomic(argv.out, page);
  console.log(
    `${definition.name}: decoded ${delta.length} bytes into a page written to ${argv.out}`,
  );
  return 0;
}

async function verifyCommand(argv: {
  dir: string;
  codec: string;
  codecModule?: string;
}): Promise<number> {
  const definition = await pickCodec(argv.codec, argv.codecModule);
  const vectors = loadVectors(argv.dir);
  const codec = createChecked(definition);
  const results = callCodec(definition, "encode()/decode()", () => checkVectors(codec, vectors));
  let failed = 0;
  for (const result of results) {
    if (result.failures.length === 0) continue;
    failed++;
    console.log(`FAIL ${result.name}: ${result.failures.join("; ")}`);
  }
  console.log(`${results.length - failed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

async function main(): Promise<number | undefined> {
  let code: number | undefined;
  await yargs(joinNegativeValues(hideBin(process.argv), ["help", "version"]))
    .scriptName("codec")
    .command(
      "encode",
      "encode one page against its previous copy",
      (args) =>
        withCodec(args)
          .option("page", { type: "string", demandOption: true, describe: "the current page" })
          .option("limit", {
            type: "string",
            default: String(PAGE_SIZE),
            describe: `output limit in bytes, 0 to ${MAX_KERNEL_LIMIT} (QEMU's dlen)`,
          })
          .option("out", { type: "string", demandOption: true, describe: "where the delta goes" }),
      async (argv) => {
        code = await encodeCommand(argv);
      },
    )
    .command(
      "decode",
      "rebuild a page from its previous copy and a delta",
      (args) =>
        withCodec(args)
          .option("delta", { type: "string", demandOption: true, describe: "the encoded page" })
          .option("out", { type: "string", demandOption: true, describe: "where the page goes" }),
      async (argv) => {
        code = await decodeCommand(argv);
      },
    )
    .command(
      "verify <dir>",
      "check a codec (default xbzrle) against every vector directory in DIR",
      (args) =>
        args
          .positional("dir", { type: "string", demandOption: true })
          .option("codec", { type: "string", default: "xbzrle", describe: "codec to check" })
          .option("codec-module", { type: "string", describe: "load a plug-in codec" }),
      async (argv) => {
        code = await verifyCommand(argv as { dir: string; codec: string; codecModule?: string });
      },
    )
    .demandCommand(1, "give a command: encode, decode or verify")
    .check(
      singleValued(["codec", "codec-module", "previous", "page", "limit", "out", "delta", "dir"]),
      true,
    )
    .strict()
    .help()
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .parseAsync();
  return code;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runMain("codec", main);
}
