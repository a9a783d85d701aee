import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import Table from "cli-table3";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { resolveCodecs } from "../../codecs/registry.ts";
import { checkWritableFile, writeFileAtomic } from "../../lib/atomic-file.ts";
import { UsageError } from "../../lib/errors.ts";
import { flagValue, joinNegativeValues, repeatedFlag } from "../../lib/flag-list.ts";
import { rateLabel, sizeLabel } from "../../lib/format.ts";
import { machineInfo, migbenchVersion } from "../../lib/machine.ts";
import { runMain } from "../../lib/main.ts";
import { PRELOAD_FILE } from "../../lib/workers.ts";
import type { AxisValue } from "../../results/axes.ts";
import type { CellSpec } from "../../results/cell.ts";
import { builtinCatalogue, type WorkloadCatalogue } from "../../workloads/catalogue.ts";
import type { WorkloadDefinition } from "../../workloads/types.ts";
import { parseRamBytes } from "../../workloads/workload-params.ts";
import { AXIS_OPTIONS, axisOptionsRecord } from "../sweep/axis-options.ts";
import { buildCells, SWEEP_DEFAULTS } from "../sweep/plan.ts";
import { measurementOf, type ScaleMeasurement } from "./scale-bench-child.ts";

/**
 * `npm run bench:scale`: what simulating one migration costs this machine as the VM grows.
 * For each --ram size, ONE cell of `npm run bench` (same workload parameters, same defaults)
 * runs in a fresh child process (harness/benchmarks/scale-bench-child.ts), so each size's peak RSS is its
 * own; the table shows simulated time, pages sent and encoded, wall time, µs per page sent and
 * peak RSS. The workload's parameters stay fixed (sap-like's active set stays 1 GiB), so what
 * grows with RAM is the pages the bulk pass sends; the cost should follow the pages, not the
 * bytes of RAM (the simulator stores no page contents, workloads/types.ts).
 */

const DEFAULT_RAM_SIZES = "1GiB,4GiB,16GiB,64GiB";
const DEFAULT_WORKLOAD = "sap-like";
const DEFAULT_CODEC = "xbzrle";
/**
 * One cache size for one cell: QEMU's default xbzrle-cache-size, 64 MiB
 * (DEFAULT_MIGRATE_XBZRLE_CACHE_SIZE, migration/migration.c); `npm run bench` sweeps 16, 64
 * and 256 MiB by default.
 */
const DEFAULT_CACHE_SIZE = "64MiB";

/**
 * Workload parameters this command sets unless --set gives them, so that the same parameters
 * run at every default size. sap-like's 1 GiB active set is all of a 1 GiB VM and its pages are
 * never free, so its default 10 % of free (zero) pages has nowhere to go and HeapModel rejects
 * the VM; with no free pages the active set stays the bench's 1 GiB at every size.
 * `--set zero_share=0.1` restores the bench default (then 1 GiB is refused before any size runs).
 */
export const SCALE_SETS: Readonly<Record<string, readonly string[]>> = {
  "sap-like": ["zero_share=0"],
};

const CHILD_FILE = fileURLToPath(new URL("./scale-bench-child.ts", import.meta.url));

/** What the user chose; everything else is SWEEP_DEFAULTS. */
export interface ScaleChoice {
  readonly workload: string;
  /** Every workload parameter, defaults filled in (resolveParams). */
  readonly params: Readonly<Record<string, number | string>>;
  readonly codec: string;
  readonly ramBytes: readonly AxisValue<"ramBytes">[];
  readonly cacheSizeBytes: AxisValue<"cacheSizeBytes">;
  readonly seed: AxisValue<"seed">;
}

/** One cell per RAM size, built by the bench's own sweep (harness/sweep/plan.ts buildCells). */
export function scaleCells(choice: ScaleChoice): CellSpec[] {
  return buildCells({
    ...SWEEP_DEFAULTS,
    workloads: [{ name: choice.workload, ramBytes: choice.ramBytes, paramSets: [choice.params] }],
    codecs: [{ name: choice.codec, module: null }],
    cacheSizeBytes: [choice.cacheSizeBytes],
    seed: [choice.seed],
  });
}

/** The settings this command leaves at `npm run bench`'s defaults, as its manifest names them. */
function defaultSettings(): Record<string, unknown> {
  return {
    ...axisOptionsRecord(SWEEP_DEFAULTS, ["cacheSizeBytes", "seed"]),
    calibration: SWEEP_DEFAULTS.calibration,
  };
}

/**
 * The one value of a bench axis this command takes, parsed and bounded as `npm run bench`
 * parses it (harness/sweep/axis-options.ts).
 */
function oneValue<K extends "cacheSizeBytes" | "seed">(key: K, argv: Record<string, unknown>) {
  const { flag, parse } = AXIS_OPTIONS[key];
  const values = parse([String(flagValue(argv[flag], flag))], flag);
  if (values.length !== 1) throw new UsageError(`--${flag}: bench:scale takes one value`);
  return values[0];
}

/** "active_bytes 1 GiB, zipf_exponent 0.8, writes_per_s 100000 writes/s, zero_share 0.1 of RAM". */
export function describeParams(
  definition: Pick<WorkloadDefinition, "params">,
  params: Readonly<Record<string, number | string>>,
): string {
  const parts = definition.params.map((param) => {
    const value = params[param.name] ?? param.defaultValue;
    if (typeof value === "string") return `${param.name} ${value}`;
    if (param.unit === "bytes") return `${param.name} ${sizeLabel(value)}`;
    if (param.unit === "fraction") return `${param.name} ${value} of RAM`;
    return `${param.name} ${value}${param.unit ? ` ${param.unit}` : ""}`;
  });
  return parts.length > 0 ? parts.join(", ") : "none";
}

/** A measurement as the parent saw it: plus the child's whole life, start-up included. */
export interface ScaleRow extends ScaleMeasurement {
  readonly processWallMs: number;
}

/** "16,777,216" */
function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** Box lines around the table and under the header only, as reports/terminal-summary.ts draws them. */
const COMPACT = { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" };

/** The table's cells for one row, as text. Pure. */
export function tableRow(row: ScaleRow): string[] {
  const ran = row.status !== "failed";
  return [
    sizeLabel(row.ramBytes),
    row.status,
    ran && row.totalTimeMs !== null ? `${(row.totalTimeMs / 1000).toFixed(1)} s` : "-",
    ran ? count(row.pagesSent) : "-",
    ran ? count(row.nonZeroPages) : "-",
    ran ? count(row.deltaPages) : "-",
    (row.wallMs / 1000).toFixed(2),
    ran && row.pagesSent > 0 ? ((row.wallMs * 1000) / row.pagesSent).toFixed(3) : "-",
    row.maxRssKiB > 0 ? (row.maxRssKiB / 1024).toFixed(0) : "-",
  ];
}

export const TABLE_HEAD = [
  "RAM",
  "status",
  "simulated time",
  "pages sent",
  "non-zero pages encoded",
  "of them delta",
  "wall s",
  "µs per page sent",
  "peak RSS MiB",
];

/** The whole table as text (no colours, so it is the same in a pipe). Pure. */
export function scaleTable(rows: readonly ScaleRow[]): string {
  const table = new Table({
    head: TABLE_HEAD,
    chars: COMPACT,
    style: { head: [], border: [] },
    colAligns: ["right", "left", "right", "right", "right", "right", "right", "right", "right"],
  });
  for (const row of rows) table.push(tableRow(row));
  return table.toString();
}

// --- the command line ---------------------------------------------------------------------

function parser(args: readonly string[]) {
  return yargs([...args])
    .help(false)
    .version(false)
    .scriptName("npm run bench:scale --")
    .usage(
      "$0 [options]\n\n" +
        "Time and peak RSS of simulating ONE migration cell per VM RAM size, each in a fresh\n" +
        "process: the cost should grow with the pages sent and encoded, not with RAM.",
    )
    .option("ram", {
      type: "string",
      describe: "RAM sizes, comma list (multiples of 4096 bytes)",
      default: DEFAULT_RAM_SIZES,
    })
    .option("workload", {
      type: "string",
      describe: "workload to migrate",
      default: DEFAULT_WORKLOAD,
    })
    .option("set", {
      type: "string",
      describe: "workload parameter key=value (repeatable), held fixed at every size",
    })
    .option("codec", { type: "string", describe: "one codec", default: DEFAULT_CODEC })
    .option("cache-size", {
      type: "string",
      describe: "page-cache size (QEMU's default xbzrle-cache-size)",
      default: DEFAULT_CACHE_SIZE,
    })
    .option("seed", { type: "string", describe: "workload seed", default: "1" })
    .option("json", { type: "string", describe: "also write the rows as JSON to FILE" })
    .option("help", { type: "boolean", describe: "show this help and exit" })
    .strict()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue(
      "Every other setting is npm run bench's default (direct cache, 128 MiB/s, 10 Gbit/s link,\n" +
        "300 ms downtime limit, qemu convergence, bulk skip on, 1 thread, max time 600 s).\n" +
        "Example: npm run bench:scale -- --ram 1GiB,64GiB --codec xbrle --json scale.json\n" +
        "Exit status: 0 done, 1 a size failed, 2 bad option.",
    )
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
}

export function parseRamSizes(text: string): number[] {
  const items = text.split(",").map((item) => item.trim());
  const sizes = items.map((item) => {
    if (item === "") throw new UsageError("--ram: empty value in the list");
    return parseRamBytes(item, "--ram");
  });
  if (new Set(sizes).size !== sizes.length) throw new UsageError("--ram: a size is listed twice");
  return sizes;
}

interface Plan {
  readonly choice: ScaleChoice;
  readonly definition: WorkloadDefinition;
  /** SCALE_SETS entries applied (not overridden by --set). */
  readonly ourSets: readonly string[];
  readonly cells: CellSpec[];
}

function plan(argv: Record<string, unknown>, catalogue: WorkloadCatalogue): Plan {
  const definition = catalogue.findWorkload(String(flagValue(argv.workload, "workload")));
  const given = repeatedFlag(argv.set);
  const givenKeys = new Set(given.map((set) => set.slice(0, set.indexOf("="))));
  const ours = (SCALE_SETS[definition.name] ?? []).filter(
    (set) => !givenKeys.has(set.slice(0, set.indexOf("="))),
  );
  const params = catalogue.resolveParams(definition, [...ours, ...given]);
  const codecName = String(flagValue(argv.codec, "codec"));
  const codecs = resolveCodecs([codecName]);
  if (codecs.length !== 1)
    throw new UsageError(
      `--codec: bench:scale runs one codec; "${codecName}" names ${codecs.length} (${codecs.map((c) => c.name).join(", ")})`,
    );
  const cacheSizeBytes = oneValue("cacheSizeBytes", argv);
  const seed = oneValue("seed", argv);
  const choice: ScaleChoice = {
    workload: definition.name,
    params,
    codec: codecs[0].name,
    ramBytes: parseRamSizes(String(flagValue(argv.ram, "ram"))),
    cacheSizeBytes,
    seed,
  };
  return { choice, definition, ourSets: ours, cells: scaleCells(choice) };
}

// --- the children -------------------------------------------------------------------------

/** Runs one cell in a fresh process and returns what it measured. Tests pass a stub. */
export type ChildRunner = (spec: CellSpec) => Promise<ScaleMeasurement>;

/** A failed measurement for a child that died (out of memory, a signal) or printed no JSON. */
function crashed(spec: CellSpec, why: string, wallMs: number): ScaleMeasurement {
  return measurementOf({ spec, status: "failed", error: why, wallMs }, 0);
}

/** `node --require scripts/register-tsx.cjs harness/benchmarks/scale-bench-child.ts SPEC`; its stderr is ours. */
export const spawnChild: ChildRunner = (spec) =>
  new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      ["--require", PRELOAD_FILE, CHILD_FILE, JSON.stringify(spec)],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.on("error", fail);
    child.on("close", (code, signal) => {
      const wallMs = performance.now() - started;
      const lastLine = Buffer.concat(chunks).toString("utf8").trim().split("\n").pop() ?? "";
      if (code === 0) {
        try {
          done(JSON.parse(lastLine) as ScaleMeasurement);
          return;
        } catch {
          // Falls through to a failed row.
        }
      }
      const how = signal ? `killed by ${signal}` : `exited with status ${code}`;
      done(crashed(spec, `the child process ${how} (see stderr above)`, wallMs));
    });
  });

// --- the run ------------------------------------------------------------------------------

export interface ScaleDeps {
  readonly stdout?: { write(text: string): unknown };
  readonly stderr?: { write(text: string): unknown };
  readonly cwd?: string;
  readonly catalogue?: WorkloadCatalogue;
  readonly runChild?: ChildRunner;
}

function writeJson(path: string, plan: Plan, rows: readonly ScaleRow[]): void {
  const { choice } = plan;
  const document = {
    migbenchVersion: migbenchVersion(),
    ...machineInfo(),
    workload: choice.workload,
    params: choice.params,
    codec: choice.codec,
    cacheSizeBytes: choice.cacheSizeBytes,
    seed: choice.seed,
    settings: defaultSettings(),
    rows: rows.map((row) => ({
      ...row,
      spec: plan.cells.find((c) => c.ramBytes === row.ramBytes),
    })),
  };
  writeFileAtomic(path, `${JSON.stringify(document, null, 2)}\n`);
}

export async function scaleBenchMain(
  args: readonly string[],
  deps: ScaleDeps = {},
): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const runChild = deps.runChild ?? spawnChild;
  const p = parser(joinNegativeValues(args, ["help"]));
  const argv: Record<string, unknown> & { _: readonly (string | number)[] } = p.parseSync();
  if (argv._.length > 0) throw new UsageError(`unexpected argument "${String(argv._[0])}"`);
  if (argv.help) {
    stdout.write(`${await p.getHelp()}\n`);
    return 0;
  }
  const catalogue = deps.catalogue ?? builtinCatalogue;
  const thePlan = plan(argv, catalogue);
  const { choice, definition, ourSets, cells } = thePlan;
  const jsonPath =
    argv.json === undefined
      ? null
      : resolve(deps.cwd ?? process.cwd(), String(flagValue(argv.json, "json")));
  // What a size's child would reject (a RAM too small for the active set...) and where the
  // JSON goes, before the first child runs.
  for (const ramBytes of choice.ramBytes)
    await catalogue.checkRun?.(definition, { ramBytes, seed: choice.seed, params: choice.params });
  if (jsonPath !== null) checkWritableFile(jsonPath);

  const machine = machineInfo();
  stdout.write(
    `migbench ${migbenchVersion()} bench:scale · Node ${machine.node} · ${machine.cpu.model} (${machine.cpu.cores} cores)\n`,
  );
  stdout.write(
    `${choice.workload} with ${choice.codec}, seed ${choice.seed}: one cell per RAM size, each in a fresh process\n` +
      `held fixed at every size: ${describeParams(definition, choice.params)}\n`,
  );
  if (ourSets.length > 0)
    stdout.write(
      `bench:scale sets ${ourSets.join(" ")} (not ${choice.workload}'s default) so that every size runs the same parameters; see SCALE_SETS in harness/benchmarks/scale-bench.ts, override with --set\n`,
    );

  const rows: ScaleRow[] = [];
  for (const [i, spec] of cells.entries()) {
    const tag = `bench:scale: [${i + 1}/${cells.length}] ${sizeLabel(spec.ramBytes)}`;
    stderr.write(`${tag}: running\n`);
    const started = performance.now();
    const measurement = await runChild(spec);
    const row: ScaleRow = { ...measurement, processWallMs: performance.now() - started };
    rows.push(row);
    const outcome = row.status === "failed" ? `failed: ${row.error}` : row.status;
    stderr.write(
      `${tag}: ${outcome}, ${(row.wallMs / 1000).toFixed(1)} s simulating, ${(row.processWallMs / 1000).toFixed(1)} s in all, peak RSS ${(row.maxRssKiB / 1024).toFixed(0)} MiB\n`,
    );
    // Export after every size (hyperfine's habit): a crash at 64 GiB keeps the smaller ones.
    if (jsonPath !== null) writeJson(jsonPath, thePlan, rows);
  }

  stdout.write(`${scaleTable(rows)}\n`);
  const spec = cells[0];
  stdout.write(
    `settings: ${spec.cacheModel} cache ${sizeLabel(spec.cacheSizeBytes)}, bandwidth ${rateLabel(spec.bandwidthBytesPerS)}, ` +
      `link ${(spec.linkBytesPerS * 8) / 1e9} Gbit/s, downtime limit ${spec.downtimeLimitMs} ms, ${spec.convergence} convergence, ` +
      `bulk skip ${spec.bulkSkip ? "on" : "off"}, ${spec.threads} thread(s), max time ${spec.maxTimeMs / 1000} s, calibration ${spec.calibration}.\n` +
      "pages sent: every pass and the stop-and-copy; non-zero pages encoded: normal + delta − overflow; " +
      "of them delta: cache hits, delta-encoded against the cached copy; wall s: the simulation " +
      "(workload creation included, process start-up not); peak RSS: the child process's ru_maxrss, Node and tsx included.\n",
  );
  if (jsonPath !== null) stdout.write(`wrote ${jsonPath}\n`);
  const failed = rows.filter((row) => row.status === "failed");
  if (failed.length > 0) {
    stderr.write(
      `bench:scale: ${failed.length} of ${rows.length} sizes failed (first, ${sizeLabel(failed[0].ramBytes)}: ${failed[0].error})\n`,
    );
    return 1;
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await runMain("bench:scale", () => scaleBenchMain(hideBin(process.argv)));
}
