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
