import { CodecError } from "../codecs/types.ts";
import { InputError, UsageError } from "./errors.ts";

/**
 * The shell around every command: run it, and turn the errors users cause into one line on
 * stderr and a non-zero exit (2 for usage, 1 for bad input). Anything else is a bug and keeps
 * its stack trace.
 */
export async function runMain(
  command: string,
  main: () => Promise<number | undefined>,
): Promise<void> {
  try {
    const code = await main();
    process.exitCode = code ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${command}: ${error.message}`);
      process.exitCode = 2;
    } else if (error instanceof InputError || error instanceof CodecError) {
      console.error(`${command}: ${error.message}`);
      process.exitCode = 1;
    } else if (isMissingFile(error)) {
      console.error(`${command}: ${error.path}: no such file`);
      process.exitCode = 1;
    } else {
      throw error;
    }
  }
}

function isMissingFile(error: unknown): error is NodeJS.ErrnoException & { path: string } {
  return (
    error instanceof Error &&
    (error as NodeJS.ErrnoException).code === "ENOENT" &&
    typeof (error as NodeJS.ErrnoException).path === "string"
  );
}
