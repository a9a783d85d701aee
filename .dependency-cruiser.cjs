/**
 * The layer rule (docs/ARCHITECTURE.md): imports run only downward.
 *
 *   harness/paper                                 the paper reproduction (runs harness/cli's bench)
 *   harness/cli, harness/benchmarks, validate    front ends
 *   harness/sweep                                 plan, pool, resume, progress
 *   harness/simulator                             the pre-copy model, one cell end to end
 *   reports                                       charts, HTML, summaries (cells as data)
 *   results                                       cells, columns, CSV, manifest, run directory
 *   codecs, workloads                             page codecs; seeded workloads and traces
 *   lib                                           what every layer shares
 *
 * `npm test` runs `depcruise` with this file; a forbidden import or a cycle fails the suite.
 */
const layer = (name, mayImport) => ({
  name: `layer-${name.replace(/\W+/g, "-")}`,
  comment: `${name} may import only ${mayImport.join(", ")} (and packages)`,
  severity: "error",
  from: { path: `^${name}/` },
  to: {
    path: "^(lib|codecs|workloads|results|reports|harness|validate|scripts)/",
    pathNot: mayImport.map((p) => `^${p}/`),
  },
});

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "no import cycles",
      from: {},
      to: { circular: true },
    },
    layer("lib", ["lib"]),
    layer("codecs", ["lib", "codecs"]),
    layer("workloads", ["lib", "workloads"]),
    layer("results", ["lib", "results"]),
    layer("reports", ["lib", "results", "reports"]),
    layer("harness/simulator", ["lib", "codecs", "workloads", "results", "harness/simulator"]),
    layer("harness/sweep", [
      "lib",
      "codecs",
      "workloads",
      "results",
      "reports",
      "harness/simulator",
      "harness/sweep",
    ]),
    layer("harness/cli", [
      "lib",
      "codecs",
      "workloads",
      "results",
      "reports",
      "harness/simulator",
      "harness/sweep",
      "harness/cli",
    ]),
    layer("harness/benchmarks", [
      "lib",
      "codecs",
      "workloads",
      "results",
      "reports",
      "harness/simulator",
      "harness/sweep",
      "harness/benchmarks",
    ]),
    layer("harness/paper", [
      "lib",
      "codecs",
      "workloads",
      "results",
      "reports",
      "harness/simulator",
      "harness/sweep",
      // benchMain: each experiment is an ordinary bench run (harness/paper/experiment-run.ts).
      "harness/cli",
      "harness/paper",
    ]),
    layer("validate", ["lib", "codecs", "workloads", "results", "reports", "harness", "validate"]),
    {
      name: "harness-in-folders",
      comment: "every harness module lives in simulator/, sweep/, cli/, benchmarks/ or paper/",
      severity: "error",
      from: { path: "^harness/[^/]+$" },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|test|tmp|runs|results/[^/]+/)" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".cjs", ".mjs"] },
  },
};
