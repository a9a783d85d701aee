import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeAndVerify } from "../../codecs/codec-bench-verify.ts";
import { resolveCodecs } from "../../codecs/registry.ts";
import {
  type CodecTableResult,
  type CodecTableRow,
  codecTableLatex,
  codecTableMarkdown,
  latexEscape,
  runCodecTable,
} from "../../harness/paper/codec-table.ts";
import { judgeCodecTable } from "../../harness/paper/codec-table-checks.ts";
import { rowOf, xbrlePairs, xbzrleBytes } from "../../harness/paper/codec-table-inferences.ts";
import { scenarioPairs, TABLE_CODECS } from "../../harness/paper/codec-table-measure.ts";
import { overallVerdict } from "../../harness/paper/verdict.ts";

/** Sizes (zero old) and encode MB/s (zero old) per scenario and codec, as the 2011 table had. */
type Figures = Record<string, { size: number; mbps: number }>;

const AS_PUBLISHED: Record<"sparse" | "medium", Figures> = {
  sparse: {
    xbzrle: { size: 3.5, mbps: 2300 },
    xbrle: { size: 3.1, mbps: 220 },
    "xbrle-2010": { size: 2.5, mbps: 200 },
    lz4: { size: 2.8, mbps: 1100 },
    zstd: { size: 6.1, mbps: 1400 },
    deflate: { size: 2.4, mbps: 60 },
    "xor+lz4": { size: 2.8, mbps: 1050 },
    "xor+zstd": { size: 6.1, mbps: 1000 },
    "xor+deflate": { size: 2.6, mbps: 55 },
  },
  medium: {
    xbzrle: { size: 5, mbps: 2000 },
    xbrle: { size: 10, mbps: 200 },
    "xbrle-2010": { size: 6, mbps: 200 },
    lz4: { size: 6, mbps: 1000 },
    zstd: { size: 6, mbps: 1000 },
    deflate: { size: 5.7, mbps: 90 },
    "xor+lz4": { size: 6, mbps: 950 },
    "xor+zstd": { size: 6, mbps: 950 },
    "xor+deflate": { size: 6.1, mbps: 80 },
  },
};

/** A full hand-built table: AS_PUBLISHED, with `change` applied to the figures first. */
function fixture(change: (figures: typeof AS_PUBLISHED) => void = () => {}): CodecTableRow[] {
  const figures = structuredClone(AS_PUBLISHED);
  change(figures);
  return (["sparse", "medium"] as const).flatMap((scenario) =>
    TABLE_CODECS.map(({ codec, standsFor }) => {
      const { size, mbps } = figures[scenario][codec];
      return {
        scenario,
        codec,
        standsFor,
        sizePct: codec.startsWith("xor+") || codec.startsWith("xb") ? size : 100,
        sizePctZeroOld: size,
        encodeMBps: mbps,
        decodeMBps: 2 * mbps,
        encodeMBpsZeroOld: mbps,
        decodeMBpsZeroOld: 2 * mbps,
        publishedSizePct: null,
        publishedEncodeMBps: null,
      };
    }),
  );
}

const verdictOf = (rows: CodecTableRow[], claim: string) => {
  const check = judgeCodecTable(rows).checks.find((candidate) => candidate.claim === claim);
  assert.ok(check, `no check "${claim}"`);
  return check.verdict;
};

describe("paper codec table: verdicts", () => {
  it("overall: all reproduced, more than half not, otherwise partly; nothing shown is not", () => {
    assert.equal(overallVerdict(["reproduced", "reproduced"]), "reproduced");
    assert.equal(overallVerdict(["reproduced", "partly"]), "partly");
    assert.equal(overallVerdict(["reproduced", "not reproduced"]), "partly");
    assert.equal(overallVerdict(["not reproduced", "not reproduced", "partly"]), "not reproduced");
    assert.equal(overallVerdict([]), "not reproduced");
  });

  it("a table with the published figures reproduces every check", () => {
    const judgement = judgeCodecTable(fixture());
    for (const check of judgement.checks) assert.equal(check.verdict, "reproduced", check.claim);
    assert.equal(judgement.verdict, "reproduced");
    assert.match(judgement.reason, /^8 checks: 8 reproduced$/);
  });

  it("today's xbzrle size is partly (smaller by its format), any other size is not", () => {
    const claim = "xbzrle's SPARSE size";
    const formatPct = (100 * xbzrleBytes("sparse")) / 4096;
    assert.equal(formatPct.toFixed(2), "1.44");
    const at = (size: number) =>
      verdictOf(
        fixture((f) => {
          f.sparse.xbzrle.size = size;
        }),
        claim,
      );
    assert.equal(at(formatPct), "partly");
    assert.equal(at(2.4), "not reproduced");
    assert.equal(at(8), "not reproduced");
  });

  it("sizes: within 15 % reproduced, within 50 % partly, beyond not", () => {
    const at = (size: number) =>
      verdictOf(
        fixture((f) => {
          f.sparse.xbrle.size = size;
        }),
        "xbrle's SPARSE size",
      );
    assert.equal(at(3.08 * 1.14), "reproduced");
    assert.equal(at(3.08 * 1.4), "partly");
    assert.equal(at(3.08 * 1.6), "not reproduced");
  });

  it("plain = XOR: both pairs equal reproduced, one partly, none not", () => {
    const claim = "plain and XOR-first compressors give the same size (SPARSE)";
    const oneOff = fixture((f) => {
      f.sparse.lz4.size = 4;
    });
    const bothOff = fixture((f) => {
      f.sparse.lz4.size = 4;
      f.sparse.zstd.size = 100;
    });
    assert.equal(verdictOf(oneOff, claim), "partly");
    assert.equal(verdictOf(bothOff, claim), "not reproduced");
  });

  it("speed ratios: within a factor 2 reproduced, order kept partly, order reversed not", () => {
    const claim = "xbzrle encodes faster than zlib";
    const at = (mbps: number) =>
      verdictOf(
        fixture((f) => {
          f.sparse.xbzrle.mbps = mbps;
        }),
        claim,
      );
    assert.equal(at(60 * 39 * 1.9), "reproduced");
    assert.equal(at(60 * 39 * 3), "partly");
    assert.equal(at(50), "not reproduced");
  });

  it("a table that contradicts most claims is not reproduced overall", () => {
    const rows = fixture((f) => {
      f.sparse.lz4.size = 50;
      f.sparse.zstd.size = 50;
      f.sparse.xbrle.size = 20;
      f.sparse.xbzrle.size = 20;
      for (const scenario of ["sparse", "medium"] as const) {
        f[scenario].deflate.size = 20;
        f[scenario]["xor+deflate"].size = 20;
      }
      f.sparse.xbzrle.mbps = 10;
    });
    const judgement = judgeCodecTable(rows);
    assert.equal(judgement.verdict, "not reproduced");
    assert.match(judgement.reason, /not reproduced \(/);
  });
});

function smallResult(): CodecTableResult {
  const rows = fixture().map((row) =>
    row.codec === "lz4" ? { ...row, standsFor: "lzo", publishedSizePct: 2.82 } : row,
  );
  rows[1] = { ...rows[1], decodeMBps: Number.NaN };
  return {
    rows,
    inferences: ["the old buffers were zero"],
    verdict: "partly",
    reason: "because | of a pipe",
    checks: [
      {
        claim: "size_of 100 % & more",
        published: "a",
        ours: "b",
        verdict: "partly",
        reason: "r | s",
      },
    ],
    pages: 7,
  };
}

describe("paper codec table: rendering", () => {
  it("Markdown: one right-aligned table per scenario, stand-ins named, pipes escaped", () => {
    const markdown = codecTableMarkdown(smallResult());
    assert.match(markdown, /^## The Aug 2011 codec table\n/);
    assert.match(markdown, /\*\*Verdict: partly\*\* — because \| of a pipe/);
    assert.match(markdown, /### SPARSE \(12 bytes changed every 1111\)/);
    assert.match(markdown, /### MEDIUM \(33 bytes changed every 701\)/);
    assert.match(markdown, /\n\|---\|(---:\|){8}\n/);
    assert.match(
      markdown,
      /\n\| lz4 \(for lzo\) \| 100\.00 \| 2\.80 \| 2\.82 \| 1100 \| 1100 \| 2200 \| 2200 \| — \|\n/,
    );
    assert.match(markdown, /\n\| xbrle \| 3\.10 \| 3\.10 \| — \| 220 \| 220 \| — \| 440 \| — \|\n/);
    assert.match(markdown, /\| size_of 100 % & more \| a \| b \| partly \| r \\\| s \|/);
    assert.match(markdown, /\n- the old buffers were zero\n$/);
    assert.match(markdown, /7 pages per scenario/);
  });

  it("LaTeX: booktabs rules, escaped names, numbers right-aligned, no value as --", () => {
    const latex = codecTableLatex(smallResult());
    const lines = latex.split("\n");
    assert.ok(lines.includes("\\toprule") && lines.includes("\\bottomrule"));
    assert.equal(lines.filter((line) => line === "\\midrule").length, 2);
    assert.ok(lines.includes("\\begin{tabular}{lrrrrrrrr}"));
    assert.ok(
      lines.includes("lz4 (for lzo) & 100.00 & 2.80 & 2.82 & 1100 & 1100 & 2200 & 2200 & -- \\\\"),
    );
    assert.ok(lines.includes("xbrle & 3.10 & 3.10 & -- & 220 & 220 & -- & 440 & -- \\\\"));
    assert.match(latex, /Size \\% zero old/);
    assert.match(latex, /SOURCES\.md\\#patches/);
    assert.equal(
      latexEscape("a_b & 5 % {x} #1 $ ~^\\"),
      "a\\_b \\& 5 \\% \\{x\\} \\#1 \\$ \\textasciitilde{}\\textasciicircum{}\\textbackslash{}",
    );
  });
});

describe("paper codec table: real pages", () => {
  it("the analytic sizes match the codecs' output on the scenario pages", () => {
    const set = scenarioPairs("sparse", "zero", 64, 7);
    const pct = (codec: string) => {
      const [definition] = resolveCodecs([codec]);
      return (100 * encodeAndVerify(codec, definition.create(), set).encodedBytes) / (64 * 4096);
    };
    const xbzrle = pct("xbzrle");
    const xbrle = pct("xbrle");
    // A random byte that equals the old one or its neighbour moves a run boundary: a byte or
    // two per page either way, on one page in a few.
    const near = (measured: number, analyticBytes: number) =>
      Math.abs(measured - (100 * analyticBytes) / 4096) < 0.03 * measured;
    assert.ok(near(xbzrle, xbzrleBytes("sparse")), `xbzrle ${xbzrle}`);
    assert.ok(near(xbrle, 2 * xbrlePairs("sparse", true)), `xbrle ${xbrle}`);
  });

  it("measures every codec and infers the zero-old setup from lz4 = xor+lz4", async () => {
    const result = await runCodecTable({ quick: true });
    assert.equal(result.rows.length, 2 * TABLE_CODECS.length);
    for (const row of result.rows) {
      for (const speed of [row.encodeMBps, row.decodeMBps, row.encodeMBpsZeroOld]) {
        assert.ok(Number.isFinite(speed) && speed > 0, `${row.codec} ${row.scenario}: ${speed}`);
      }
    }
    const sparse = (codec: string) => rowOf(result.rows, "sparse", codec);
    const lz4 = sparse("lz4");
    const xorLz4 = sparse("xor+lz4");
    assert.ok(Math.abs(lz4.sizePctZeroOld - xorLz4.sizePctZeroOld) < 0.02 * xorLz4.sizePctZeroOld);
    assert.ok(lz4.sizePct > 99, `random old lz4 ${lz4.sizePct}`);
    assert.ok(Math.abs(xorLz4.sizePct - xorLz4.sizePctZeroOld) < 0.1);
    assert.ok(sparse("xbzrle").sizePctZeroOld > 1.3 && sparse("xbzrle").sizePctZeroOld < 1.6);
    assert.ok(sparse("xbrle").sizePctZeroOld > 3 && sparse("xbrle").sizePctZeroOld < 3.4);
    assert.equal(lz4.standsFor, "lzo");
    assert.equal(lz4.publishedSizePct, 2.82);
    assert.equal(rowOf(result.rows, "medium", "xbzrle").publishedSizePct, null);
    assert.match(result.inferences[0], /^Only hypothesis \(2\)/);
    assert.match(
      result.inferences.join("\n"),
      /126 bytes = 3\.08 %, which fits the published 3\.08 %/,
    );
    const sizeChecks = result.checks.filter((check) => /size/.test(check.claim));
    assert.deepEqual(
      sizeChecks.map((check) => check.verdict),
      ["reproduced", "reproduced", "partly", "reproduced"],
    );
  });
});
