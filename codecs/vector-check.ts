import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../lib/errors.ts";
import { CodecError, OVERFLOW, PAGE_SIZE, type PageCodec, UNCHANGED } from "./types.ts";

/**
 * Checks a codec against XBZRLE reference vectors (format: test/fixtures/xbzrle-vectors/README.md):
 * one directory per case with old.bin, new.bin, optional delta.bin and meta.json
 * {limit, encodeReturn, decodeReturn, decodeOnly?}. Used by `npm run codec -- verify DIR` and
 * by test/codecs/xbzrle.test.ts, so the CLI and the tests check the same things.
 */

export interface VectorMeta {
  limit: number;
  encodeReturn?: number | null;
  decodeReturn?: number | null;
  decodeOnly?: boolean;
  note?: string;
}

export interface VectorCase {
  name: string;
  meta: VectorMeta;
  old: Uint8Array;
  /** Absent for cases the decoder must reject. */
  page: Uint8Array | null;
  delta: Uint8Array | null;
}

export interface VectorResult {
  name: string;
  /** What differed; empty when the vector passed. */
  failures: string[];
}

const GUARD_BYTES = 64;

/** A copy in a fresh, 8-byte-aligned buffer (readFileSync may return a pooled, odd offset). */
function readAligned(path: string): Uint8Array {
  const bytes = readFileSync(path);
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy;
}

function readPage(path: string): Uint8Array {
  const page = readAligned(path);
  if (page.length !== PAGE_SIZE) {
    throw new InputError(path, `a page must be ${PAGE_SIZE} bytes, this one is ${page.length}`);
  }
  return page;
}

/** Load every vector directory in `dir` (sorted by name). Bad files are InputErrors. */
export function loadVectors(dir: string): VectorCase[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError(dir, "no such vector directory");
  }
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  if (names.length === 0) throw new InputError(dir, "holds no vector directories");
  return names.map((name) => {
    const at = join(dir, name);
    const metaPath = join(at, "meta.json");
    if (!existsSync(metaPath)) throw new InputError(metaPath, "no such file");
    let meta: VectorMeta;
    try {
      meta = JSON.parse(readFileSync(metaPath, "utf8")) as VectorMeta;
    } catch (error) {
      throw new InputError(metaPath, `not valid JSON: ${(error as Error).message}`);
    }
    if (typeof meta.limit !== "number" || !Number.isInteger(meta.limit)) {
      throw new InputError(metaPath, "`limit` must be an integer");
    }
    const oldPath = join(at, "old.bin");
    if (!existsSync(oldPath)) throw new InputError(oldPath, "no such file");
    const newPath = join(at, "new.bin");
    const deltaPath = join(at, "delta.bin");
    return {
      name,
      meta,
      old: readPage(oldPath),
      page: existsSync(newPath) ? readPage(newPath) : null,
      delta: existsSync(deltaPath) ? readAligned(deltaPath) : null,
    };
  });
}

function describe(result: number): string {
  if (result === UNCHANGED) return "unchanged (0)";
  if (result === OVERFLOW) return "overflow (-1)";
  return `a ${result}-byte delta`;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Encode check: exact result and bytes, and nothing written past `limit` (guard bytes). */
function checkEncode(codec: PageCodec, vector: VectorCase, failures: string[]): void {
  const { meta, old, page, delta } = vector;
  const expected = meta.encodeReturn;
  if (expected === null || expected === undefined || meta.decodeOnly) return;
  if (!page) {
    failures.push("encode case without new.bin");
    return;
  }
  for (const fill of [0xa5, 0x5a]) {
    const out = new Uint8Array(Math.max(meta.limit, 0) + GUARD_BYTES).fill(fill);
    const result = codec.encode(page, old, out, meta.limit);
    if (result !== expected) {
      failures.push(`encode gave ${describe(result)}, expected ${describe(expected)}`);
      return;
    }
    for (let i = Math.max(meta.limit, 0); i < out.length; i++) {
      if (out[i] !== fill) {
        failures.push(`encode wrote past limit ${meta.limit} (at byte ${i})`);
        return;
      }
    }
    if (expected > 0) {
      if (!delta) {
        failures.push("encode case with a delta length but no delta.bin");
        return;
      }
      const produced = out.subarray(0, result);
      const at = firstDifference(produced, delta);
      if (at >= 0) {
        failures.push(
          `encode delta differs at byte ${at}: got ${hex(produced[at])}, expected ${hex(delta[at])}`,
        );
        return;
      }
    }
  }
}

function hex(byte: number | undefined): string {
  return byte === undefined ? "end" : `0x${byte.toString(16).padStart(2, "0")}`;
}

/** Decode check: gives new.bin when QEMU accepted the stream, a CodecError when it rejected. */
function checkDecode(codec: PageCodec, vector: VectorCase, failures: string[]): void {
  const { meta, old, page, delta } = vector;
  if (!delta || meta.decodeReturn === null || meta.decodeReturn === undefined) return;
  // Decode into a page view inside a larger buffer, so writes outside the page show.
  const frame = new Uint8Array(PAGE_SIZE + 2 * GUARD_BYTES).fill(0xa5);
  const target = frame.subarray(GUARD_BYTES, GUARD_BYTES + PAGE_SIZE);
  let error: unknown = null;
  try {
    codec.decode(delta, old, target);
  } catch (caught) {
    error = caught;
  }
  for (let i = 0; i < frame.length; i++) {
    if ((i < GUARD_BYTES || i >= GUARD_BYTES + PAGE_SIZE) && frame[i] !== 0xa5) {
      failures.push("decode wrote outside the page");
      break;
    }
  }
  if (meta.decodeReturn === -1) {
    if (error === null) failures.push("decode accepted a stream QEMU rejects");
    else if (!(error instanceof CodecError)) {
      failures.push(`decode threw ${(error as Error).name ?? error} instead of CodecError`);
    }
    return;
  }
  if (error !== null) {
    failures.push(`decode rejected a stream QEMU accepts: ${(error as Error).message}`);
    return;
  }
  if (!page) {
    failures.push("accepted decode case without new.bin");
    return;
  }
  const at = firstDifference(target, page);
  if (at >= 0) {
    failures.push(
      `decoded page differs at byte ${at}: got ${hex(target[at])}, expected ${hex(page[at])}`,
    );
  }
}

/** Run every vector against one codec instance. */
export function checkVectors(codec: PageCodec, vectors: readonly VectorCase[]): VectorResult[] {
  return vectors.map((vector) => {
    const failures: string[] = [];
    checkEncode(codec, vector, failures);
    checkDecode(codec, vector, failures);
    return { name: vector.name, failures };
  });
}
