import assert from "node:assert/strict";
import { type ChildProcessByStdio, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { type TestContext, test } from "node:test";
import { HotPages } from "../../workloads/hot-pages.ts";
import { mappingsOfSize, readWritableMappings } from "../../workloads/process-info.ts";
import { ProcessMemory } from "../../workloads/process-memory.ts";
import { SnapshotDiff } from "../../workloads/snapshot-diff.ts";
import { tempDir } from "./trace-model.ts";

// A page rewritten back to the bytes it had at the previous snapshot (workloads/snapshot-diff.ts
// `snapshot`, workloads/hot-pages.ts `writtenLately`): QEMU's `stride` guest adds 1 to a byte
// per page per pass, so 256 passes later a page reads as it did. Driven step by step on a real
// child, read through /proc/PID/mem: no timing decides the outcome.

const PAGES = 5;

/** Sets page P's first byte to V on "P V\n" and answers "ok" once it is written. */
const SOURCE = `
#include <stdio.h>
#include <sys/mman.h>
int main(void) {
  char *area = mmap(NULL, (${PAGES} + 2) * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) return 1;
  volatile unsigned char *buffer = (volatile unsigned char *)(area + 4096);
  if (mprotect((void *)buffer, ${PAGES} * 4096, PROT_READ | PROT_WRITE) != 0) return 1;
  for (int p = 0; p < ${PAGES}; p++) buffer[p * 4096] = 1;
  printf("ok\\n");
  fflush(stdout);
  unsigned page, value;
  while (scanf("%u %u", &page, &value) == 2) {
    buffer[page * 4096] = (unsigned char)value;
    printf("ok\\n");
    fflush(stdout);
  }
  return 0;
}
`;

type Child = ChildProcessByStdio<Writable, Readable, null>;

/** The child compiled and running, or null after skipping when there is no C compiler. */
async function startChild(t: TestContext): Promise<Child | null> {
  const dir = tempDir(t);
  const source = join(dir, "setter.c");
  const binary = join(dir, "setter");
  writeFileSync(source, SOURCE);
  if (spawnSync("cc", ["-O2", "-o", binary, source]).status !== 0) {
    t.skip("no C compiler (cc)");
    return null;
  }
  const child = spawn(binary, [], { stdio: ["pipe", "pipe", "inherit"] });
  t.after(() => child.kill("SIGKILL"));
  await acknowledged(child);
  return child;
}

async function acknowledged(child: Child): Promise<void> {
  const [line] = (await once(child.stdout, "data")) as [Buffer];
  assert.equal(line.toString().trim(), "ok");
}

async function set(child: Child, page: number, value: number): Promise<void> {
  child.stdin.write(`${page} ${value}\n`);
  await acknowledged(child);
}

/** A snapshot differ over the child's buffer; `listed` takes a snapshot and gives its changes. */
function differ(t: TestContext, pid: number) {
  const regions = mappingsOfSize(readWritableMappings(`/proc/${pid}/maps`) ?? [], PAGES * 4096);
  assert.equal(regions.length, 1);
  const memory = new ProcessMemory(pid, "the setter");
  t.after(() => memory.close());
  const diff = new SnapshotDiff(memory);
  diff.extend(regions);
  const hot = new HotPages(memory);
  const listed = (withHot: boolean): number[] => {
    diff.clearChanges();
    diff.snapshot(regions, withHot ? hot : null);
    const pages: number[] = [];
    diff.writeChanges({ addPage: (page: number) => pages.push(page) } as never);
    return pages;
  };
  return { diff, hot, listed };
}

test("a hot page written back to its old bytes is still in the next snapshot's changes", async (t) => {
  const child = await startChild(t);
  if (child === null) return;
  const { diff, hot, listed } = differ(t, child.pid as number);
  assert.deepEqual(listed(true), [0, 1, 2, 3, 4], "the image: every page is new");
  for (let p = 0; p < PAGES; p++) await set(child, p, 2);
  assert.deepEqual(listed(true), [0, 1, 2, 3, 4]);
  diff.loadHotSet(hot); // every page is hot, each with the byte 2

  // Page 0 is written (a re-read sees 3) and put back to 2. Page 2 is written once (4), seen by
  // the same re-read. Page 1 is written and put back after the re-read. Pages 3 and 4 stay.
  await set(child, 0, 3);
  await set(child, 2, 4);
  assert.equal(hot.reread(), 2);
  assert.deepEqual([...hot.touched.subarray(0, 2)], [0, 2]);
  await set(child, 0, 2);
  await set(child, 1, 9);
  await set(child, 1, 2);
  // Page 0 reads as at the previous snapshot, but the last re-read found it written: listed.
  // Page 2 changed since the snapshot. Page 1's writes fell after the last re-read and left it
  // as it was: nothing that read it saw them, so nothing can list it.
  assert.deepEqual(listed(true), [0, 2]);
});

test("written back to its old bytes, a hot page is listed only with the hot set", async (t) => {
  const child = await startChild(t);
  if (child === null) return;
  const pid = child.pid as number;
  const fine = differ(t, pid);
  const plain = differ(t, pid);
  const both = (): [number[], number[]] => [fine.listed(true), plain.listed(false)];
  both();
  await set(child, 3, 7);
  assert.deepEqual(both(), [[3], [3]]);
  fine.diff.loadHotSet(fine.hot);
  // Page 3 goes 7 → 8 (a re-read sees it) → 7 (the next re-read sees that too).
  await set(child, 3, 8);
  assert.equal(fine.hot.reread(), 1);
  await set(child, 3, 7);
  assert.equal(fine.hot.reread(), 1);
  // Against the previous snapshot alone it reads unchanged: the case this fixes.
  assert.deepEqual(both(), [[3], []]);
  // It stays hot for the next interval. A quiet interval: no re-read finds it written, and the
  // next snapshot drops it.
  fine.diff.loadHotSet(fine.hot);
  assert.equal(fine.hot.size, 1);
  assert.equal(fine.hot.reread(), 0);
  assert.deepEqual(both(), [[], []]);
});
