import { bufferRunsOf } from "./buffer-runs.ts";
import { OS_BASE_PARAMS, osBase } from "./os-base.ts";
import { Permutation } from "./permutation.ts";
import { hash2 } from "./random.ts";
import type { WorkloadDefinition } from "./types.ts";
import { UniformRun, uniform } from "./uniform.ts";
import {
  checkedPageCount,
  numberParam,
  param,
  regionPages,
  stringParam,
} from "./workload-params.ts";
import { ZipfSampler } from "./zipf.ts";

/**
 * `zipf` — `uniform`'s sparse writer with Zipf-popular pages: each write picks rank k with
 * probability ∝ k^(−zipf_exponent) among the working set's W pages, and the ranks are scattered
 * over the working set by a seeded permutation, so the hot pages are not one contiguous run (a
 * direct-mapped cache, migration/page_cache.c, then sees realistic conflicts). The lab's `zipf`
 * guest load (validate/guest/loadgen.c: Zipf(1.0) over 192 MiB at 4 000 writes/s into a
 * zeroed buffer, popular pages shuffled over it) is this workload with `wss=192MiB`,
 * `writes_per_s=4000`, `initial=zero`. Content and the OS base are `uniform`'s.
 * Memory: `uniform`'s 4 bytes per working-set page plus 8 for the Zipf alias table.
 */
export const zipfWriter: WorkloadDefinition = {
  name: "zipf",
  description:
    "random 8-byte writes to Zipf-popular pages of a working set (a hot set a cache can keep)",
  source: "migbench; the validation lab's Zipf writer (validate/guest/loadgen.c)",
  defaultRamBytes: uniform.defaultRamBytes,
  params: [
    ...uniform.params.filter((p) => !OS_BASE_PARAMS.includes(p)),
    param({
      name: "zipf_exponent",
      unit: "",
      defaultValue: 1.0,
      description: "skew of page popularity in the working set: P(rank k) ∝ k^-s",
      min: 0,
      max: 10,
    }),
    ...OS_BASE_PARAMS,
  ],
  create(options) {
    const pageCount = checkedPageCount(options.ramBytes);
    const wssPages = regionPages(numberParam(options.params, "wss"), pageCount, "wss");
    const layout = bufferRunsOf(options.params, wssPages, pageCount);
    const os = osBase(options.seed, pageCount, layout, options.params);
    const sampler = new ZipfSampler(wssPages, numberParam(options.params, "zipf_exponent"));
    const scatter = new Permutation(wssPages, hash2(options.seed >>> 0, 0x21bf));
    return new UniformRun(pageCount, layout, {
      writesPerS: numberParam(options.params, "writes_per_s"),
      seed: options.seed,
      zeroStart: stringParam(options.params, "initial") === "zero",
      os,
      pick: (random) => scatter.forward(sampler.sample(random) - 1),
    });
  },
};
