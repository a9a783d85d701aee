import { UsageError } from "./errors.ts";

/**
 * A list flag's values, given as one comma list (`--kind a,b`); undefined when the flag is
 * absent. The flag given twice (`--max-time 60s --max-time 120s`, which yargs hands over as an
 * array) is a UsageError asking for one comma list: silently taking both read as a doubled
 * sweep to some users and as "the last one wins" to others. Options documented as repeatable
 * (`--set`, `--codec-module`) do not come through here. An empty item or an item listed twice
 * is a UsageError naming the flag.
 */
export function flagList(value: unknown, flag: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    throw new UsageError(
      `--${flag}: given ${value.length} times; give one comma list, e.g. --${flag} ${value.map(String).join(",")}`,
    );
  }
  const items = String(value)
    .split(",")
    .map((v) => v.trim());
  if (items.some((v) => v === "")) throw new UsageError(`--${flag}: empty value in the list`);
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item)) throw new UsageError(`--${flag}: "${item}" is listed twice`);
    seen.add(item);
  }
  return items;
}

/**
 * A repeatable flag's texts (`--set a=1 --set b=2`, documented as repeatable): none when
 * absent, one per time it was given.
 */
export function repeatedFlag(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
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

/** The same for list flags: given twice, one usage line asking for a comma list. */
export function singleList(names: readonly string[]): (argv: Record<string, unknown>) => true {
  return (argv) => {
    for (const name of names) flagList(argv[name], name);
    return true;
  };
}

/**
 * `args` with every `--flag -VALUE` written `--flag=-VALUE` when VALUE starts with a digit or
 * a point, so that a negative value reaches the option's validator and its message names the
 * flag. yargs-parser reads `-16MiB` as the short flags -1 -6 -M -i -B ("Unknown arguments: 1,
 * 6, M, i, B"); it only keeps a bare negative number like `-5` as a value. `booleans` are
 * flags that take no value (their next argument is not theirs); everything after `--` is left
 * alone (a command's own arguments, npm run record).
 */
export function joinNegativeValues(
  args: readonly string[],
  booleans: readonly string[] = [],
): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    const flag = /^--([^=]+)$/.exec(arg)?.[1];
    if (
      flag !== undefined &&
      next !== undefined &&
      /^-\.?[0-9]/.test(next) &&
      !booleans.includes(flag) &&
      !flag.startsWith("no-")
    ) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}
