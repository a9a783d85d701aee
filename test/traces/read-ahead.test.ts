import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import { InputError } from "../../lib/errors.ts";
import { ReadAhead } from "../../workloads/read-ahead.ts";
import { TraceFile } from "../../workloads/trace-file.ts";

// ReadAhead serves trace validation's reads from a window; every read must be the file's
// bytes, wherever it falls against the window, and a read past the end must fail as a direct
// read does.

const dir = mkdtempSync(join(tmpdir(), "mb-read-ahead-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const bytes = randomBytes(10_000);
const path = join(dir, "file.bin");
writeFileSync(path, bytes);

test("ReadAhead: any sequence of reads gives the file's bytes, with a window smaller than them", () => {
  const file = TraceFile.open(path);
  try {
    fc.assert(
      fc.property(
        fc.array(
          fc
            .tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 700 }))
            .map(([at, length]) => [at, Math.min(length, bytes.length - at)] as const),
          { maxLength: 40 },
        ),
        fc.integer({ min: 1, max: 512 }),
        (reads, window) => {
          const reader = new ReadAhead(file, window);
          for (const [at, length] of reads) {
            const into = Buffer.alloc(length);
            reader.readInto(into, at);
            assert.ok(into.equals(bytes.subarray(at, at + length)), `${length} bytes at ${at}`);
          }
        },
      ),
    );
  } finally {
    file.close();
  }
});

test("ReadAhead: a read past the end is the file's own 'ended early' InputError", () => {
  const file = TraceFile.open(path);
  try {
    const reader = new ReadAhead(file, 4096);
    reader.readInto(Buffer.alloc(16), 0);
    assert.throws(
      () => reader.readInto(Buffer.alloc(64), bytes.length - 32),
      (error) =>
        error instanceof InputError &&
        /ended early/.test(error.message) &&
        error.message.includes(path),
    );
  } finally {
    file.close();
  }
});
