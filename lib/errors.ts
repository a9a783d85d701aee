/**
 * The two ways a command fails on bad input. Both print as one line naming the input and what
 * is wrong (runMain in lib/main.ts); neither prints a stack trace.
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

/**
 * The operating system's error codes users meet on the paths they give, in words (errno(3),
 * open(2), rename(2), write(2)). Node's own message ("EROFS: read-only file system, open
 * '/x.tmp-123'") names the syscall and sometimes a temporary path, not what the user typed.
 */
const ERRNO_WORDS: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory, not a file",
  ENOTDIR: "a part of the path is not a directory",
  EEXIST: "already exists",
  ENOTEMPTY: "is a directory that is not empty",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large",
  ENAMETOOLONG: "file name too long",
  ELOOP: "too many levels of symbolic links",
  EMFILE: "too many open files in this process",
  ENFILE: "too many open files in the system",
  EBUSY: "device or resource busy",
  EIO: "input/output error",
  ENXIO: "no such device or address",
  ENODEV: "no such device",
  ETXTBSY: "text file busy",
  EXDEV: "not on the same file system",
  EINVAL: "invalid argument",
  ENOMEM: "out of memory",
  ESRCH: "no such process",
  EAGAIN: "resource temporarily unavailable",
};

/** A failed system call (Node sets `code` and `syscall`; `path` when it had one). */
export interface SystemError extends Error {
  readonly code: string;
  readonly syscall: string;
  readonly path?: string;
  readonly dest?: string;
}

export function isSystemError(error: unknown): error is SystemError {
  if (!(error instanceof Error)) return false;
  const { code, syscall } = error as NodeJS.ErrnoException;
  return typeof code === "string" && /^E[A-Z0-9]+$/.test(code) && typeof syscall === "string";
}

/** "read-only file system" for EROFS; the code itself for one not in the table. */
export function describeErrno(code: string): string {
  return ERRNO_WORDS[code] ?? code;
}

/**
 * A system error on `path` as an InputError naming `path` — the path the user gave, where the
 * failing call may have used a temporary name beside it (lib/atomic-file.ts).
 */
export function fileError(path: string, error: unknown, doing?: string): unknown {
  if (!isSystemError(error)) return error;
  const words = describeErrno(error.code);
  return new InputError(path, doing ? `cannot ${doing}: ${words}` : words);
}

/** The calls that write through a file descriptor, whose errors carry no path. */
const WRITE_CALLS = new Set(["write", "writev", "fsync", "fdatasync", "close", "ftruncate"]);

/**
 * A failed write through a file descriptor (ENOSPC, EIO, EDQUOT...) while writing `path`, as an
 * InputError naming it; Node's error for write(2) has no path ("write: no space left"). Other
 * errors are returned as they are.
 */
export function outputError(path: string, error: unknown): unknown {
  if (isSystemError(error) && error.path === undefined && WRITE_CALLS.has(error.syscall))
    return fileError(path, error, "write");
  return error;
}

/**
 * Marks CodecErrors across copies of this module: a plug-in outside a `"type": "module"`
 * package is compiled to CommonJS by tsx, and so is the lib/errors.ts it imports — a second
 * CodecError class. Symbol.for gives every copy the same key, so `instanceof CodecError`
 * still recognises the plug-in decoder's rejections (fuzz:codecs, codec decode).
 */
const CODEC_ERROR_BRAND = Symbol.for("migbench.CodecError");

/** The one error every decoder throws on malformed input. `offset` is where in the input. */
export class CodecError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as Record<symbol, unknown>)[CODEC_ERROR_BRAND] === true
    );
  }

  override readonly name = "CodecError";
  constructor(
    readonly codec: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${codec}: ${reason} (at input offset ${offset})`);
  }
}
Object.defineProperty(CodecError.prototype, CODEC_ERROR_BRAND, { value: true });
