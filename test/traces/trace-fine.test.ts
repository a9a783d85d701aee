import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { InputError } from "../../lib/errors.ts";
import { mappingsOfSize } from "../../workloads/process-info.ts";
import { recordProcess } from "../../workloads/recorder.ts";
import { TraceReader } from "../../workloads/trace-reader.ts";
import { tempDir } from "./trace-model.ts";

// `record --fine` and `--mapping-size` (workloads/fine-capture.ts, docs/TRACE_FORMAT.md
// "Recorder") on a real child: a C program whose buffer is one mapping of exactly PAGES pages,
// split into two VMAs, rewritten every ~0.5 ms, as QEMU's stride guest rewrites its buffer.

const PAGES = 37;

/**
 * PROT_NONE pages either side keep the kernel from merging the buffer with a neighbouring
 * mapping (QEMU's guard page does the same, util/mmap-alloc.c); MADV_DONTDUMP on its second half
 * splits it into two adjacent VMAs, which --mapping-size must join.
 */
const SOURCE = `
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
int main(int argc, char **argv) {
  size_t pages = (size_t)atoi(argv[1]);
  char *area = mmap(NULL, (pages + 2) * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) return 1;
  volatile unsigned long *buffer = (volatile unsigned long *)(area + 4096);
  if (mprotect((void *)buffer, pages * 4096, PROT_READ | PROT_WRITE) != 0) return 1;
  madvise((char *)buffer + (pages / 2) * 4096, (pages - pages / 2) * 4096, MADV_DONTDUMP);
  printf("ready\\n");
  fflush(stdout);
  for (unsigned long step = 1;; step++) {
    for (size_t p = 0; p < pages; p++) buffer[p * 512 + (step % 512)] = step;
    usleep(500);
  }
}
`;

/** Compile the child into `dir`; null when there is no C compiler here. */
function compile(dir: string): string | null {
  const source = join(dir, "rewriter.c");
  const binary = join(dir, "rewriter");
  writeFileSync(source, SOURCE);
  const result = spawnSync("cc", ["-O2", "-o", binary, source], { encoding: "utf8" });
  return result.status === 0 ? binary : null;
}

/**
 * The rewriter compiled into a temporary directory and running (killed after the test), or
 * null after skipping the test when there is no C compiler.
 */
async function startRewriter(t: TestContext): Promise<{ dir: string; pid: number } | null> {
  const dir = tempDir(t);
  const binary = compile(dir);
  if (binary === null) {
    t.skip("no C compiler (cc)");
    return null;
  }
  const child = spawn(binary, [String(PAGES)], { stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => child.kill("SIGKILL"));
  const [first] = (await once(child.stdout, "data")) as [Buffer];
  assert.equal(first.toString().trim(), "ready");
  return { dir, pid: child.pid as number };
}

test("mappingsOfSize: one mapping, adjacent pieces joined, neighbours not", () => {
  const region = (start: number, pages: number, perms = "rw-p") => ({
    start,
    end: start + pages * 4096,
    perms,
    path: "",
  });
  const regions = [region(0x1000, 3), region(0x10000, 2), region(0x12000, 4), region(0x40000, 6)];
  assert.deepEqual(
    mappingsOfSize(regions, 6 * 4096).map((r) => [r.start, r.end]),
    [
      [0x10000, 0x16000],
      [0x40000, 0x46000],
    ],
  );
  assert.deepEqual(mappingsOfSize(regions, 3 * 4096).length, 1);
  assert.deepEqual(mappingsOfSize(regions, 5 * 4096), []);
});

test("record --fine --mapping-size: more touch epochs than snapshots, the buffer in them", async (t) => {
  const rewriter = await startRewriter(t);
  if (rewriter === null) return;
  const { dir, pid } = rewriter;
  const out = join(dir, "fine.trace");
  // Stop after 4 snapshots, not after a duration: the test must not depend on the machine's speed.
  const controller = new AbortController();
  const summary = await recordProcess({
    pid,
    out,
    intervalMs: 100,
    durationMs: null,
    fineMs: 5,
    mappingBytes: PAGES * 4096,
    signal: controller.signal,
    onSnapshot: (p) => {
      if (p.epoch === 4) controller.abort();
    },
  });
  assert.equal(summary.virtualPages, PAGES);
  assert.ok(summary.fineReads > summary.snapshots, `${summary.fineReads} re-reads`);
  assert.match(
    summary.captureMethod,
    /^content diff every 100 ms; hot pages re-read every 5 ms \(mean period \d+\.\d ms, \d+ re-reads\)$/,
  );
  const reader = TraceReader.open(out);
  t.after(() => reader.close());
  assert.equal(reader.version, 2);
  assert.equal(reader.pageCount, PAGES);
  assert.equal(reader.metadata.captureMethod, summary.captureMethod);
  const touchEpochs = reader.epochs.filter((e) => e.touch);
  const contentEpochs = reader.epochs.length - 1 - touchEpochs.length;
  assert.equal(contentEpochs, 4);
  assert.ok(touchEpochs.length > 2 * contentEpochs, `${touchEpochs.length} touch epochs`);
  assert.equal(summary.touchEpochs, touchEpochs.length);
  // The child rewrites every page each ~0.5 ms: (nearly) every touch epoch lists all of them.
  const full = touchEpochs.filter((e) => e.records === PAGES).length;
  assert.ok(full >= 0.8 * touchEpochs.length, `${full} of ${touchEpochs.length} list all pages`);
  for (let e = 2; e < reader.epochs.length; e++)
    assert.ok(reader.epochs[e].timeS > reader.epochs[e - 1].timeS);
});

test("record --mapping-size with no mapping of that size: one error listing the sizes", async (t) => {
  const rewriter = await startRewriter(t);
  if (rewriter === null) return;
  const { dir, pid } = rewriter;
  await assert.rejects(
    recordProcess({
      pid,
      out: join(dir, "none.trace"),
      intervalMs: 100,
      durationMs: 200,
      mappingBytes: (PAGES + 1) * 4096,
    }),
    (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(
        error.message,
        /no writable private mappings of exactly 152k \(155648 bytes\), expected one; the sizes \/proc\/\d+\/maps lists: .*\d+k/,
      );
      assert.equal(error.message.split("\n").length, 1);
      return true;
    },
  );
});
