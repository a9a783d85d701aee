import { elapsedLabel } from "../lib/format.ts";
import type { ProgressMode } from "../lib/progress-mode.ts";

/**
 * Progress of `bench:codecs` on stderr (stdout holds the table): one status line redrawn in
 * place on a terminal, one line per measured row in a pipe or a log, as `npm run bench` does
 * (harness/sweep/progress.ts), and nothing under CI or with --quiet. A default run takes
 * minutes; in a pipe it used to print nothing until the end.
 */

export interface BenchProgress {
  /** `codec` measured on `kind`. */
  rowDone(codec: string, kind: string): void;
  /** Clear the status line (a terminal) before the table is printed. */
  stop(): void;
}

export function benchProgress(
  mode: ProgressMode,
  codecs: number,
  kinds: number,
  writeLine: (line: string) => void,
  writeStatus: (text: string) => void = (text) => process.stderr.write(text),
  now: () => number = () => performance.now(),
): BenchProgress {
  if (mode === "none") return { rowDone() {}, stop() {} };
  const rows = kinds * (codecs + 1);
  const startedAt = now();
  let done = 0;
  const describe = (codec: string, kind: string) => {
    const elapsedS = (now() - startedAt) / 1000;
    const etaS = (elapsedS / done) * (rows - done);
    return `[${done}/${rows}] ${codec} on ${kind} (${elapsedLabel(elapsedS)} elapsed; ETA ${elapsedLabel(etaS)})`;
  };
  if (mode === "lines") {
    writeLine(`bench:codecs: ${rows} rows: ${codecs} codecs and memcpy on ${kinds} page kinds`);
    return {
      rowDone(codec, kind) {
        done++;
        writeLine(describe(codec, kind));
      },
      stop() {},
    };
  }
  return {
    rowDone(codec, kind) {
      done++;
      writeStatus(`\r\x1b[K${describe(codec, kind)}`);
    },
    stop() {
      writeStatus("\r\x1b[K");
    },
  };
}
