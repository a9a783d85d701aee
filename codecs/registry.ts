import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { InputError, UsageError } from "../harness/errors.ts";
import { generalCodecs } from "./general.ts";
import { raw } from "./raw.ts";
import type { CodecDefinition } from "./types.ts";
import { xbrle } from "./xbrle.ts";
import { xbrle2010 } from "./xbrle-2010.ts";
import { xbzrle } from "./xbzrle.ts";
import { zero } from "./zero.ts";

/**
 * The codec table, after lzbench: one row per codec, selected by name or alias. Adding a codec
 * is one file in codecs/ and one line here; users add their own with --codec-module instead.
 */
export const builtinCodecs: readonly CodecDefinition[] = [
  raw,
  zero,
  xbrle,
  xbrle2010,
  xbzrle,
  ...generalCodecs,
];

/** Names that stand for several codecs. `paper` = the four codecs of the VEE'11 evaluation. */
export const codecGroups: Readonly<Record<string, readonly string[]>> = {
  paper: ["raw", "zero", "xbrle", "xbzrle"],
};

/**
 * Resolve a list of names (codec names, aliases or groups; duplicates dropped, order kept)
 * against the built-in table plus any plug-ins. Unknown names are a UsageError listing the
 * known ones.
 */
export function resolveCodecs(
  names: readonly string[],
  plugins: readonly CodecDefinition[] = [],
): CodecDefinition[] {
  const table = [...builtinCodecs, ...plugins];
  const byName = new Map<string, CodecDefinition>();
  for (const codec of table) {
    byName.set(codec.name, codec);
    for (const alias of codec.aliases ?? []) byName.set(alias, codec);
  }
  const chosen: CodecDefinition[] = [];
  const add = (name: string) => {
    const codec = byName.get(name);
    if (!codec) {
      const known = [...Object.keys(codecGroups), ...byName.keys()].join(", ");
      throw new UsageError(`unknown codec "${name}" (known: ${known})`);
    }
    if (!chosen.includes(codec)) chosen.push(codec);
  };
  for (const name of names) {
    const group = codecGroups[name];
    if (group) for (const member of group) add(member);
    else if (name === "all") for (const codec of table) add(codec.name);
    else add(name);
  }
  return chosen;
}

/**
 * Load a user's codec from a module whose default export (or export `codec`) is a
 * CodecDefinition — `--codec-module ./my-codec.ts`. No core file changes.
 */
export async function loadCodecModule(path: string): Promise<CodecDefinition> {
  const url = pathToFileURL(resolve(path)).href;
  let module: Record<string, unknown>;
  try {
    module = await import(url);
  } catch (error) {
    throw new InputError(
      path,
      `cannot load codec module: ${(error as Error).message.split("\n")[0]}`,
    );
  }
  const candidate = (module.default ?? module.codec) as Partial<CodecDefinition> | undefined;
  if (
    !candidate ||
    typeof candidate.name !== "string" ||
    typeof candidate.create !== "function" ||
    typeof candidate.usesPrevious !== "boolean"
  ) {
    throw new InputError(
      path,
      "the module's default export is not a CodecDefinition (name, create(), usesPrevious, ...)",
    );
  }
  return {
    aliases: [],
    description: `plug-in from ${path}`,
    source: path,
    detectsZeroPages: true,
    decodesInPlace: false,
    ...candidate,
  } as CodecDefinition;
}
