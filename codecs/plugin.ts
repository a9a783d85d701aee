/**
 * Calling code we did not write: the checks every command applies to a --codec-module plug-in,
 * so that a broken plug-in fails with one line naming it instead of a stack trace, a dead
 * process or — worst — numbers that look fine (README "Plug-ins").
 */
import { InputError } from "../lib/errors.ts";
import { type CodecDefinition, CodecError, OVERFLOW, type PageCodec } from "./types.ts";

/** Where each loaded plug-in came from (registry.ts loadCodecModule records it). */
const pluginModules = new WeakMap<CodecDefinition, string>();

export function recordPluginModule(definition: CodecDefinition, path: string): void {
  pluginModules.set(definition, path);
}

/** The module path a plug-in was loaded from; undefined for a built-in codec. */
export function pluginModuleOf(definition: CodecDefinition): string | undefined {
  return pluginModules.get(definition);
}

/** How messages name a codec: `plug-in "runs" (/tmp/x/my-codec.ts)` or `codec "xbzrle"`. */
export function codecLabel(definition: CodecDefinition): string {
  const path = pluginModules.get(definition);
  return path === undefined
    ? `codec "${definition.name}"`
    : `plug-in "${definition.name}" (${path})`;
}

/** A plug-in broke the codec contract (codecs/types.ts); `input` is its codecLabel(). */
export class PluginError extends InputError {}

/** One line of an error a plug-in threw: its name and the first line of its message. */
export function describeThrown(error: unknown): string {
  const text =
    error instanceof Error ? `${error.name}: ${error.message}` : `a non-Error (${String(error)})`;
  return (text.split("\n")[0] ?? "").trim();
}

/**
 * Run `call` (plug-in code) with process.exit() turned into a PluginError naming the plug-in.
 * In the main thread a plug-in's process.exit() would end the whole command with no word on
 * what happened, losing the cells still running; in a worker thread it ends only that worker
 * (Node's worker_threads), which the pool then reports as "worker exited with code N" without
 * saying whose doing it was. The guard is installed once around a whole cell or command step,
 * not per page, so it costs nothing in the hot loop. A plug-in that catches the throw has still
 * called exit: the guard throws after `call` returns. An exit from a timer or promise the
 * plug-in left behind runs outside any guard and is not caught (the pool still reports a dead
 * worker as a failed cell).
 */
export function withExitGuard<T>(label: string, what: string, call: () => T): T {
  const guard = installExitGuard(label, what);
  let result: T;
  try {
    result = call();
  } catch (error) {
    return guard.fail(error);
  }
  return guard.end(result);
}

/** withExitGuard for an async step (importing a module). */
export async function withExitGuardAsync<T>(
  label: string,
  what: string,
  call: () => Promise<T>,
): Promise<T> {
  const guard = installExitGuard(label, what);
  let result: T;
  try {
    result = await call();
  } catch (error) {
    return guard.fail(error);
  }
  return guard.end(result);
}

/** The guard installExitGuard leaves in place until restore(). */
export interface ExitGuard {
  restore(): void;
  /** The exit the plug-in called, if it did. */
  exitError(): PluginError | undefined;
  /** restore(), then `result`, or the exit the plug-in called (it wins over what it returned). */
  end<T>(result: T): T;
  /** restore(), then throw the exit the plug-in called, or else `error`. */
  fail(error: unknown): never;
}

/**
 * Replace process.exit until restore(): a call throws (unwinding the plug-in) and is
 * remembered. For code that handles the throw itself (codecs/fuzz.ts counts it as a finding).
 */
export function installExitGuard(label: string, what: string): ExitGuard {
  const realExit = process.exit;
  let exitError: PluginError | undefined;
  process.exit = ((code?: number | string | null) => {
    exitError ??= new PluginError(label, `called process.exit(${code ?? ""}) in ${what}`);
    throw exitError;
  }) as typeof process.exit;
  const restore = () => {
    process.exit = realExit;
  };
  return {
    restore,
    exitError: () => exitError,
    end(result) {
      restore();
      if (exitError) throw exitError;
      return result;
    },
    fail(error) {
      restore();
      throw exitError ?? error;
    },
  };
}

/** definition.create(), with a throw or an exit turned into one line naming the plug-in. */
export function createChecked(definition: CodecDefinition): PageCodec {
  const label = codecLabel(definition);
  let codec: PageCodec;
  try {
    codec = withExitGuard(label, "create()", () => definition.create());
  } catch (error) {
    if (error instanceof PluginError) throw error;
    throw new PluginError(label, `create() threw ${describeThrown(error)}`);
  }
  const missing = (["encode", "decode", "wireBytes"] as const).filter(
    (method) => typeof (codec as Partial<PageCodec> | null)?.[method] !== "function",
  );
  if (missing.length > 0) {
    throw new PluginError(
      label,
      `create() returned ${codec === null ? "null" : typeof codec} without ${missing.join(", ")}(): not a PageCodec`,
    );
  }
  return codec;
}

/**
 * True when `result` is an EncodeResult for output limit `limit`: an integer in [-1, limit]
 * (OVERFLOW, UNCHANGED or a length). `(result | 0) === result` is false for NaN, fractions,
 * non-numbers and anything past 2^31, in one integer compare.
 */
export function isEncodeResult(result: number, limit: number): boolean {
  return (result | 0) === result && result >= OVERFLOW && result <= limit;
}

/** The message for an encode() result that is not one (see isEncodeResult). */
export function badEncodeResult(
  definition: CodecDefinition,
  result: unknown,
  limit: number,
  where: string,
): PluginError {
  const shown = typeof result === "number" ? String(result) : `${typeof result} ${String(result)}`;
  return new PluginError(
    codecLabel(definition),
    `encode() returned ${shown} for ${where}; an encode result is an integer in [-1, ${limit}] ` +
      "(-1 overflow, 0 unchanged, else the bytes written, at most the limit)",
  );
}

/**
 * Call into a codec for a command (codec encode/decode/verify, bench:codecs, fuzz:codecs): for
 * a plug-in, under the exit guard, with anything it throws but a CodecError (a decoder's
 * rejection, which commands report themselves) turned into one line naming it. A built-in's
 * unexpected throw is a bug in migbench and keeps its stack trace (lib/main.ts).
 */
export function callCodec<T>(definition: CodecDefinition, what: string, call: () => T): T {
  const path = pluginModules.get(definition);
  if (path === undefined) return call();
  const label = codecLabel(definition);
  try {
    return withExitGuard(label, what, call);
  } catch (error) {
    if (error instanceof PluginError || error instanceof CodecError) throw error;
    throw new PluginError(label, `${what} threw ${describeThrown(error)}`);
  }
}
