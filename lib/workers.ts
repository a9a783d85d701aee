import { fileURLToPath } from "node:url";

/** The tsx preload, by absolute path so a worker finds it whatever the current directory. */
export const PRELOAD_FILE = fileURLToPath(new URL("../scripts/register-tsx.cjs", import.meta.url));

/**
 * execArgv for the workers. Node re-runs `--require` preloads in every worker (that is how
 * the .ts worker file loads), but a relative `./scripts/register-tsx.cjs` resolves against the
 * current directory, so replace it with the absolute path. Only per-thread flags may be passed
 * to a Worker (others throw ERR_WORKER_INVALID_EXEC_ARGV), so nothing else is inherited except
 * source maps and warning settings.
 */
export function workerExecArgv(parent: readonly string[] = process.execArgv): string[] {
  const kept = parent.filter(
    (arg) =>
      arg === "--enable-source-maps" || arg === "--no-warnings" || arg === "--trace-uncaught",
  );
  return ["--require", PRELOAD_FILE, ...kept];
}
