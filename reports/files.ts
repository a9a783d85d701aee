import { renameSync, writeFileSync } from "node:fs";

/** Write a file atomically: FILE.tmp-PID, then rename, so a reader never sees half a file. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const temporary = `${file}.tmp-${process.pid}`;
  writeFileSync(temporary, data);
  renameSync(temporary, file);
}
