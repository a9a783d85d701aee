/**
 * The two ways a command fails on bad input. Both print as one line naming the input and what
 * is wrong (runMain in harness/main.ts); neither prints a stack trace.
 * - UsageError: a wrong flag or value on the command line → exit 2.
 * - InputError: a file that is missing, truncated or corrupt, or data that fails a check → exit 1.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export class InputError extends Error {
  override readonly name = "InputError";
  /** `input` names the file (or other input); `offset` is a byte offset into it, when known. */
  constructor(
    readonly input: string,
    readonly problem: string,
    readonly offset?: number,
  ) {
    super(
      offset === undefined ? `${input}: ${problem}` : `${input}: at byte ${offset}: ${problem}`,
    );
  }
}
