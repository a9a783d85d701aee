import { UsageError } from "./errors.ts";

/**
 * A list flag's values, given repeated (`--kind a --kind b`, which yargs hands over as an array)
 * and/or comma-separated (`--kind a,b`), as one list; undefined when the flag is absent. An
 * empty item or an item listed twice is a UsageError naming the flag.
 */
export function flagList(value: unknown, flag: string): string[] | undefined {
  if (value === undefined) return undefined;
  const items = ([] as unknown[])
    .concat(value)
    .flatMap((v) => String(v).split(","))
    .map((v) => v.trim());
  if (items.some((v) => v === "")) throw new UsageError(`--${flag}: empty value in the list`);
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item)) throw new UsageError(`--${flag}: "${item}" is listed twice`);
    seen.add(item);
  }
  return items;
}

/** A single-value flag's text; undefined when absent; given twice, a UsageError naming it. */
export function flagValue(value: unknown, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    throw new UsageError(`--${flag} takes one value, but was given ${value.length}`);
  }
  return String(value);
}

/**
 * A yargs `.check()` that applies flagValue() to `names`: a single-value option given twice is
 * one usage line naming it, where yargs would hand the command an array that reads as a wrong
 * value or a missing file.
 */
export function singleValued(names: readonly string[]): (argv: Record<string, unknown>) => true {
  return (argv) => {
    for (const name of names) flagValue(argv[name], name);
    return true;
  };
}
