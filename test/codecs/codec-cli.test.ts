import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { referenceEncode } from "../../codecs/xbzrle-reference.ts";

// `npm run codec` as a user runs it: a child process, exit codes and stderr lines checked.
const dir = mkdtempSync(join(tmpdir(), "migbench-codec-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function codec(...args: string[]) {
  return spawnSync(
    process.execPath,
    ["--require", "./scripts/register-tsx.cjs", "codecs/cli.ts", ...args],
    { encoding: "utf8" },
  );
}

function page(seed: number): Uint8Array {
  const bytes = new Uint8Array(4096);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + seed) & 255;
  return bytes;
}

test("encode then decode one page gives the page back; the delta is QEMU's", () => {
  const old = page(1);
  const now = old.slice();
  for (let i = 0; i < 4096; i += 1024) now[i] ^= 0x5a;
  const [oldFile, newFile, delta, out] = ["old.bin", "new.bin", "delta.bin", "page.bin"].map(
    (name) => join(dir, name),
  );
  writeFileSync(oldFile, old);
  writeFileSync(newFile, now);
  const encoded = codec(
    "encode",
    "--codec",
    "xbzrle",
    "--previous",
    oldFile,
    "--page",
    newFile,
    "--out",
    delta,
  );
  assert.equal(encoded.status, 0, encoded.stderr);
  const expected = new Uint8Array(8192);
  const length = referenceEncode(now, old, expected, 4096);
  assert.deepEqual(new Uint8Array(readFileSync(delta)), expected.subarray(0, length));
  const decoded = codec(
    "decode",
    "--codec",
    "xbzrle",
    "--previous",
    oldFile,
    "--delta",
    delta,
    "--out",
    out,
  );
  assert.equal(decoded.status, 0, decoded.stderr);
  assert.deepEqual(new Uint8Array(readFileSync(out)), now);
});

test("a wrong flag (exit 2) or a missing file (exit 1): one line naming it", () => {
  const wrong = codec("encode", "--codec", "xbzrle", "--colour", "red");
  assert.equal(wrong.status, 2, wrong.stderr);
  assert.equal(wrong.stderr.trim().split("\n").length, 1, wrong.stderr);
  const missing = join(dir, "nowhere.bin");
  const run = codec(
    "encode",
    "--codec",
    "xbzrle",
    "--previous",
    missing,
    "--page",
    missing,
    "--out",
    join(dir, "x"),
  );
  assert.equal(run.status, 1, run.stderr);
  assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  assert.ok(run.stderr.includes(`${missing}: no such file`), run.stderr);
  const twice = codec("encode", "--page", missing, "--page", missing, "--out", join(dir, "x"));
  assert.equal(twice.status, 2, twice.stderr);
  assert.equal(twice.stderr.trim(), "codec: --page takes one value, but was given 2");
});

test("a malformed delta: one line naming the file, exit 1, no output written", () => {
  const oldFile = join(dir, "old2.bin");
  writeFileSync(oldFile, page(2));
  const bad = join(dir, "bad.delta");
  writeFileSync(bad, Uint8Array.of(0x80)); // a varint that never ends
  const out = join(dir, "never.bin");
  const run = codec(
    "decode",
    "--codec",
    "xbzrle",
    "--previous",
    oldFile,
    "--delta",
    bad,
    "--out",
    out,
  );
  assert.equal(run.status, 1, run.stderr);
  assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  assert.throws(() => readFileSync(out));
});
