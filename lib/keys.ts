/**
 * Typed walks over a record's keys. `Object.keys` says `string[]` and `Object.fromEntries`
 * forgets which value belongs to which key; these keep both, for the tables that declare one
 * row per key (results/axes.ts, harness/sweep/axis-options.ts).
 */

/** The record's own keys, in insertion order, typed as its keys. */
export function keysOf<T extends object>(record: T): Extract<keyof T, string>[] {
  const keys: Extract<keyof T, string>[] = [];
  for (const key in record) if (Object.hasOwn(record, key)) keys.push(key);
  return keys;
}

/**
 * A record of type M with one value per key of `table`, made by `value(key)`, in the table's
 * key order; M has exactly the table's keys. TypeScript cannot follow a record filled key by
 * key, so the filled record is asserted whole — sound because every key was just set. Nor can
 * this signature say which of M's value types goes with which key: write `value` as a generic
 * function of its key (`<K>(key: K) => { [P in K]: ... }[K]`) to have that checked.
 */
export function recordOf<T extends object, M extends { readonly [K in keyof T]: unknown }>(
  table: T,
  value: (key: Extract<keyof T, string>) => M[Extract<keyof T, string>],
): M {
  const record: Partial<M> = {};
  for (const key of keysOf(table)) record[key] = value(key);
  return record as M;
}
