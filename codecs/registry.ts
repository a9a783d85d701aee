import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { InputError, UsageError } from "../lib/errors.ts";
import { generalCodecs } from "./general.ts";
import {
  codecLabel,
  createChecked,
  PluginError,
  recordPluginModule,
  withExitGuardAsync,
} from "./plugin.ts";
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
    for (const name of [codec.name, ...(codec.aliases ?? [])]) {
      // Two plug-ins under one name (loadCodecModule already refuses a built-in's): the later
      // one must not silently win.
      const other = byName.get(name);
      if (other && other !== codec) {
        throw new UsageError(
          `${codecLabel(codec)} and ${codecLabel(other)} both answer to "${name}"; load one of them`,
        );
      }
      byName.set(name, codec);
    }
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

/** Names a plug-in may not take: every built-in name and alias, every group, and `all`. */
function reservedNames(): Map<string, string> {
  const reserved = new Map<string, string>([["all", "the group of every codec"]]);
  for (const group of Object.keys(codecGroups)) reserved.set(group, `a codec group`);
  for (const codec of builtinCodecs) {
    reserved.set(codec.name, "a built-in codec");
    for (const alias of codec.aliases ?? []) reserved.set(alias, `built-in ${codec.name}'s alias`);
  }
  return reserved;
}

/** What --codec can name: not empty, no comma (a list separator) or space; CSV- and file-safe. */
const PLUGIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/**
 * Load a user's codec from a module whose default export (or export `codec`) is a
 * CodecDefinition — `--codec-module ./my-codec.ts`. No core file changes. Refused, with one
 * line naming the module: a module that fails to load or calls process.exit() while loading, an
 * export that is not a CodecDefinition, a name or alias that is a built-in's (it would silently
 * replace xbzrle in `paper` — or be replaced by it), and a create() that throws, exits or does
 * not return a PageCodec: create() is called once here, so every command finds out before any
 * long work (codecs/plugin.ts).
 */
export async function loadCodecModule(path: string): Promise<CodecDefinition> {
  const url = pathToFileURL(resolve(path)).href;
  let module: Record<string, unknown>;
  try {
    module = await withExitGuardAsync(path, "its module code", () => import(url));
  } catch (error) {
    if (error instanceof PluginError) throw error;
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
  if (candidate.sendsPagesRaw !== undefined && typeof candidate.sendsPagesRaw !== "boolean") {
    throw new InputError(path, `plug-in "${candidate.name}": sendsPagesRaw must be true or false`);
  }
  const aliases = candidate.aliases ?? [];
  if (!Array.isArray(aliases) || aliases.some((alias) => typeof alias !== "string")) {
    throw new InputError(path, `plug-in "${candidate.name}": aliases must be a list of names`);
  }
  const reserved = reservedNames();
  for (const name of [candidate.name, ...aliases]) {
    if (!PLUGIN_NAME.test(name)) {
      throw new InputError(
        path,
        `plug-in name "${name}" must be letters, digits and . _ + - (no commas or spaces)`,
      );
    }
    const taken = reserved.get(name);
    if (taken) {
      throw new InputError(
        path,
        `plug-in "${candidate.name}": "${name}" is already ${taken}; give the plug-in its own name`,
      );
    }
  }
  const definition = {
    aliases: [],
    description: `plug-in from ${path}`,
    source: path,
    detectsZeroPages: true,
    decodesInPlace: false,
    sendsPagesRaw: false,
    ...candidate,
  } as CodecDefinition;
  recordPluginModule(definition, path);
  createChecked(definition);
  return definition;
}
