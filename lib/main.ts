import { CodecError, describeErrno, InputError, isSystemError, UsageError } from "./errors.ts";

/**
 * The shell around every command: run it, and turn the errors users cause into one line on
 * stderr and a non-zero exit (2 for usage, 1 for bad input or a file-system error). Anything
 * else is a bug and keeps its stack trace.
 */
export async function runMain(
  command: string,
  main: () => Promise<number | undefined>,
): Promise<void> {
  try {
    const code = await main();
    process.exitCode = code ?? 0;
  } catch (error) {
    const line = userErrorLine(error);
    if (line === null) throw error;
    console.error(`${command}: ${line.text}`);
    process.exitCode = line.exitCode;
  }
}

/**
 * The one line (without the command's name) and exit status for an error the user caused, or
 * null for a bug. Errors thrown inside a worker thread reach the main thread as plain Errors
 * that keep `name` and their own fields (Node's worker error serialisation), not their class,
 * so UsageError and InputError are also recognised by name there.
 */
export function userErrorLine(error: unknown): { text: string; exitCode: number } | null {
  if (!(error instanceof Error)) return null;
  const text = error.message.split("\n")[0];
  if (error instanceof UsageError || error.name === "UsageError") return { text, exitCode: 2 };
  if (
    error instanceof InputError ||
    error instanceof CodecError ||
    error.name === "InputError" ||
    error.name === "CodecError"
  )
    return { text, exitCode: 1 };
  if (isSystemError(error)) {
    // Every errno a path can meet (ENOENT, EACCES, EISDIR, EROFS, ENOSPC...), not only ENOENT:
    // "PATH: problem in words"; without a path, the call that failed.
    const where = error.path ?? error.syscall;
    return { text: `${where}: ${describeErrno(error.code)}`, exitCode: 1 };
  }
  return null;
}
