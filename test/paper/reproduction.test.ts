import assert from "node:assert/strict";
import { test } from "node:test";
import { nestedMarkdown } from "../../harness/paper/codec-table-claim.ts";
import { paperHtml } from "../../harness/paper/page.ts";
import type { ReportedClaim } from "../../harness/paper/reported.ts";
import { reproductionMarkdown, verdictLines } from "../../harness/paper/reproduction.ts";

// REPRODUCTION.md and paper.html from a fixture: the verdict table first, every claim's source,
// published figure, ours, verdict and reason; a claim not run says why and shows no number.

const judged: ReportedClaim = {
  number: "2c",
  id: "sap",
  title: "Very large SAP ERP system: standard pre-copy fails, delta compression succeeds",
  source: { anchor: "paper", text: "VEE 2011 paper, abstract" },
  published: "standard pre-copy does not complete; with delta compression it does",
  verdict: "partly",
  ours: "cache 256 MiB: standard did not converge, xbrle-2010 downtime 139 ms",
  reason: "only with a cache of 256 MiB",
  experiments: [
    {
      id: "sap-era",
      title: "the era's settings",
      dir: "runs/sap-era",
      command: "npm run bench -- --workload sap-like --cache-size 64MiB,256MiB",
      parameters: [{ flag: "cache-size", value: "64MiB,256MiB", reason: "the deciding | setting" }],
    },
  ],
  extra: "",
};

const notRun: ReportedClaim = {
  ...judged,
  number: "3",
  id: "stride",
  title: "The stride test",
  verdict: "not run",
  ours: "—",
  reason: "experiment stride-110 failed: bench exited with status 1",
  experiments: [],
};

const input = {
  mode: "quick" as const,
  startedAt: "2026-12-05T19:00:00.000Z",
  wallSeconds: 95.4,
  reused: { count: 0, of: 1 },
  claims: [judged, notRun],
  figures: new Map([["sap", { svg: "figures/sap.svg", pdf: "figures/sap.pdf" }]]),
  figureNote: null,
};

test("REPRODUCTION.md: the verdict table first, then a section per claim", () => {
  const md = reproductionMarkdown(input);
  // A quick suite says its verdicts are not the ones to cite; a full one does not.
  assert.match(md, /the full suite's verdicts \(`npm run paper`\) are the ones to cite/);
  assert.doesNotMatch(
    reproductionMarkdown({ ...input, mode: "full" }),
    /the full suite's verdicts/,
  );
  const table = md.indexOf("| # | claim | source | published | verdict |");
  assert.ok(table > 0 && table < md.indexOf("## 2c."));
  assert.ok(
    md.includes(
      "| 2c | Very large SAP ERP system: standard pre-copy fails, delta compression succeeds | VEE 2011 paper, abstract | standard pre-copy does not complete; with delta compression it does | **partly** |",
    ),
  );
  assert.ok(md.includes("| 3 | The stride test | VEE 2011 paper, abstract |"));
  assert.ok(md.includes("- **Source:** VEE 2011 paper, abstract (docs/SOURCES.md#paper)"));
  assert.ok(md.includes("**Verdict: partly.** Where we differ: only with a cache of 256 MiB"));
  assert.ok(
    md.includes(
      "**Verdict: not run.** Why: experiment stride-110 failed: bench exited with status 1",
    ),
  );
  assert.ok(
    md.includes(
      "![Very large SAP ERP system: standard pre-copy fails, delta compression succeeds](figures/sap.svg)",
    ),
  );
  assert.ok(md.includes("| `--cache-size` | `64MiB,256MiB` | the deciding \\| setting |"));
  assert.ok(md.includes("started 2026-12-05T19:00:00.000Z, 95 s"));
  assert.doesNotMatch(md, /NaN|undefined|null/);
});

test("the terminal's verdict lines", () => {
  assert.deepEqual(verdictLines([notRun]), ["3   The stride test  not run"]);
});

test("paper.html: the verdict table and each claim, escaped", () => {
  const html = paperHtml({
    ...input,
    figures: new Map([["sap", { svgText: "<svg></svg>", files: ["figures/sap.svg"] }]]),
  });
  assert.ok(html.includes('<td class="verdict-partly"><strong>partly</strong></td>'));
  assert.ok(html.includes('<td class="verdict-not-run"><strong>not run</strong></td>'));
  assert.ok(html.includes('<section id="claim-sap">'));
  assert.ok(html.includes("<svg></svg>"));
  assert.doesNotMatch(html, /NaN|undefined/);
});

test("the codec table's Markdown in the claim's section: without its own title and verdict", () => {
  const md =
    "## The Aug 2011 codec table\n\nSource: x.\n\n**Verdict: partly** — y.\n\n### SPARSE\n\n| a |";
  assert.equal(nestedMarkdown(md), "Source: x.\n\n\n### SPARSE\n\n| a |");
});
