import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { InputError } from "../../lib/errors.ts";
import { BLOCK, HEADER, TRAILER } from "../../workloads/trace-format.ts";
import { TraceReader } from "../../workloads/trace-reader.ts";
import { SAMPLE_MODEL as model, tempDir, writeModel } from "./trace-model.ts";

/** The InputError that opening `bytes` (written to `file`) produces. */
function rejection(file: string, bytes: Uint8Array): InputError {
  writeFileSync(file, bytes);
  try {
    TraceReader.open(file).close();
  } catch (error) {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.equal(error.input, file);
    assert.ok(error.message.startsWith(`${file}: at byte `), error.message);
    assert.equal(error.message.split("\n").length, 1);
    return error;
  }
  assert.fail(`${file} was accepted`);
}

function setup(t: { after(fn: () => void): void }) {
  const dir = tempDir(t);
  const good = join(dir, "good.trace");
  writeModel(good, model, 2);
  const bytes = readFileSync(good);
  const reader = TraceReader.open(good);
  const blocks = Array.from({ length: reader.blockCount }, (_, b) => reader.blockOffset(b));
  reader.close();
  const indexOffset = Number(bytes.readBigUInt64LE(bytes.length - TRAILER.size));
  return { dir, bytes, blocks, indexOffset, bad: join(dir, "bad.trace") };
}

test("the sample trace for these tests has many blocks", (t) => {
  const { blocks } = setup(t);
  assert.ok(blocks.length >= 10, `${blocks.length} blocks`);
});

test("a flipped byte anywhere in any block is rejected with the block's offset", (t) => {
  const { bytes, blocks, indexOffset, bad } = setup(t);
  for (let b = 0; b < blocks.length; b++) {
    const start = blocks[b];
    const end = b + 1 < blocks.length ? blocks[b + 1] : indexOffset;
    // Every byte of the block header, and a spread of bytes through records and content.
    const positions = new Set<number>();
    for (let i = 0; i < BLOCK.size; i++) positions.add(start + i);
    for (let at = start + BLOCK.size; at < end; at += 509) positions.add(at);
    positions.add(end - 1);
    for (const at of positions) {
      const corrupt = Buffer.from(bytes);
      corrupt[at] ^= 0x5a;
      const error = rejection(bad, corrupt);
      assert.ok(
        error.offset !== undefined && error.offset >= start && error.offset < end,
        `flip at ${at} in block ${b} [${start}, ${end}) reported at ${error.offset}: ${error.message}`,
      );
      assert.match(error.message, new RegExp(`block ${b} `));
    }
  }
});

test("a flipped byte in the header, index or trailer is rejected", (t) => {
  const { bytes, indexOffset, bad } = setup(t);
  const positions = [
    ...Array.from({ length: HEADER.size }, (_, i) => i),
    ...Array.from({ length: bytes.length - indexOffset }, (_, i) => indexOffset + i),
  ];
  for (const at of positions) {
    const corrupt = Buffer.from(bytes);
    corrupt[at] ^= 0x01;
    const error = rejection(bad, corrupt);
    assert.match(error.message, /checksum|magic|version|truncated|trailer/, error.message);
  }
});

test("a truncation at every block boundary (and inside blocks) says where the file ends", (t) => {
  const { bytes, blocks, indexOffset, bad } = setup(t);
  const cuts = new Set<number>([
    ...blocks,
    indexOffset,
    bytes.length - 1,
    bytes.length - TRAILER.size,
  ]);
  for (const at of blocks) cuts.add(at + 7); // inside a block header
  for (const at of blocks) cuts.add(at + BLOCK.size + 1); // inside a payload
  for (const cut of cuts) {
    const error = rejection(bad, bytes.subarray(0, cut));
    assert.equal(error.offset, cut, error.message);
    assert.match(error.message, /truncated/);
    assert.match(error.message, new RegExp(`ends at byte ${cut}`));
  }
  assert.match(rejection(bad, bytes.subarray(0, 30)).message, /shorter than the 64-byte header/);
  assert.match(rejection(bad, bytes.subarray(0, 0)).message, /empty/);
});

test("a wrong magic and a future version get their own messages", (t) => {
  const { bytes, bad } = setup(t);
  const foreign = Buffer.from(bytes);
  foreign.write("NOTATRCE", 0, "latin1");
  const magic = rejection(bad, foreign);
  assert.equal(magic.offset, 0);
  assert.match(magic.message, /not a migbench trace.*"NOTATRCE".*"MIGTRACE"/);

  const future = Buffer.from(bytes);
  future.writeUInt16LE(3, HEADER.version); // header CRC now wrong too: the version wins
  const version = rejection(bad, future);
  assert.equal(version.offset, HEADER.version);
  assert.match(version.message, /format version 3 is newer than this migbench reads \(version 2\)/);
});

test("a missing file is one InputError", (t) => {
  const { dir } = setup(t);
  const missing = join(dir, "nope.trace");
  assert.throws(
    () => TraceReader.open(missing),
    (error: unknown) => error instanceof InputError && error.message === `${missing}: no such file`,
  );
});

test("`trace info` on a corrupt file prints one line and exits 1", (t) => {
  const { bytes, blocks, bad } = setup(t);
  const corrupt = Buffer.from(bytes);
  corrupt[blocks[3] + BLOCK.size + 2] ^= 0xff;
  writeFileSync(bad, corrupt);
  const result = spawnSync(
    process.execPath,
    ["--require", "./scripts/register-tsx.cjs", "workloads/trace-cli.ts", "info", bad],
    { encoding: "utf8" },
  );
  assert.equal(result.status, 1, result.stderr);
  assert.equal(result.stdout, "");
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.match(
    lines[0],
    /^trace: .*bad\.trace: at byte \d+: block 3 \(epoch \d\): payload checksum mismatch/,
  );
});
