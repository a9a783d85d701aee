import { UsageError } from "../lib/errors.ts";
import { PAGE_SIZE } from "../lib/page.ts";
import { parseBytes } from "../lib/units.ts";
import type { WorkloadParam, WorkloadParams } from "./types.ts";

/**
 * Helpers the generators share: parameter declarations with bounds, typed access to resolved
 * parameters, and the RAM size check.
 */

/** A WorkloadParam with the range resolveParams() enforces (registry.ts). */
export interface BoundedParam extends WorkloadParam {
  readonly min?: number;
  readonly max?: number;
  /** True when only whole numbers make sense (counts). */
  readonly integer?: boolean;
}

/** Declare a parameter (identity; it exists so bounds type-check inside a params array). */
export function param(spec: BoundedParam): WorkloadParam {
  return spec;
}

export function numberParam(params: WorkloadParams, name: string): number {
  const value = params[name];
  if (typeof value !== "number") {
    throw new UsageError(`workload parameter ${name} must be a number (got ${String(value)})`);
  }
  return value;
}

export function stringParam(params: WorkloadParams, name: string): string {
  const value = params[name];
  if (typeof value !== "string") {
    throw new UsageError(`workload parameter ${name} must be a string (got ${String(value)})`);
  }
  return value;
}

/**
 * The most RAM the simulator models: 2^32 pages (16 TiB). Page numbers are 32-bit everywhere a
 * generator or the simulator stores them (Uint32Array page lists, PageBitmap's word index
 * `page >>> 5`, seeds hashed with page numbers as uint32).
 */
export const MAX_RAM_PAGES = 2 ** 32;
export const MAX_RAM_BYTES = MAX_RAM_PAGES * PAGE_SIZE;

/** RAM bytes → pages; RAM must be a positive multiple of 4096 and at most MAX_RAM_PAGES. */
export function checkedPageCount(ramBytes: number): number {
  if (!Number.isSafeInteger(ramBytes) || ramBytes <= 0 || ramBytes % PAGE_SIZE !== 0) {
    throw new UsageError(`RAM size ${ramBytes} bytes is not a positive multiple of ${PAGE_SIZE}`);
  }
  const pages = ramBytes / PAGE_SIZE;
  if (pages > MAX_RAM_PAGES)
    throw new UsageError(
      `RAM size ${ramBytes} bytes is more than the simulator's limit of 16TiB (2^32 pages)`,
    );
  return pages;
}

/**
 * A RAM size option's text → bytes: a positive multiple of 4096 of at most 16TiB
 * (MAX_RAM_BYTES), or a UsageError naming the option (`what`, e.g. "--ram").
 */
export function parseRamBytes(text: string, what: string): number {
  const bytes = parseBytes(text, what);
  if (bytes <= 0 || bytes % PAGE_SIZE !== 0)
    throw new UsageError(`${what}: "${text}" is not a positive multiple of 4096 bytes`);
  if (bytes > MAX_RAM_BYTES)
    throw new UsageError(
      `${what}: "${text}" is more than 16TiB, the most the simulator models (2^32 pages: page numbers are 32-bit)`,
    );
  return bytes;
}

/** Pages of a region given in bytes, at least 1 and at most `limit` pages. */
export function regionPages(bytes: number, limit: number, name: string): number {
  const pages = Math.floor(bytes / PAGE_SIZE);
  if (pages < 1) throw new UsageError(`${name} (${bytes} bytes) is smaller than one page`);
  if (pages > limit) {
    throw new UsageError(
      `${name} (${bytes} bytes) does not fit in RAM (${limit * PAGE_SIZE} bytes); raise --ram or lower ${name}`,
    );
  }
  return pages;
}

/**
 * A heap model's active set (workloads/heap-model.ts) sized by the byte parameter `name`: its
 * page count, checked by regionPages(), and the name, for error messages.
 */
export function activeRegion(
  params: WorkloadParams,
  name: string,
  limit: number,
): { readonly activePages: number; readonly activeParam: string } {
  return { activePages: regionPages(numberParam(params, name), limit, name), activeParam: name };
}
