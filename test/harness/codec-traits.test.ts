import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { raw } from "../../codecs/raw.ts";
import { loadCodecModule } from "../../codecs/registry.ts";
import type { CodecDefinition } from "../../codecs/types.ts";
import { zero } from "../../codecs/zero.ts";
import { simulate } from "../../harness/simulator/precopy.ts";
import { baseSpec, FREE_CPU, MiB, UniformWorkload } from "./precopy-fixtures.ts";

/** A 16 MiB VM, a quarter of it written at random, every page non-zero. */
function run(codec: CodecDefinition, verifyEvery = 0) {
  const pages = (16 * MiB) / 4096;
  return simulate({
    spec: baseSpec({ ramBytes: 16 * MiB, codec: codec.name, maxPasses: 6 }),
    workload: new UniformWorkload(pages, 20_000, pages / 4, 1),
    codec,
    encodeSecondsPerPage: FREE_CPU,
    verifyEvery,
  });
}

describe("codec traits drive the simulator, not codec names", () => {
  it("sendsPagesRaw skips encode(); without it, raw and zero give the same migration", () => {
    for (const codec of [raw, zero]) {
      assert.equal(codec.sendsPagesRaw, true, codec.name);
      const { sendsPagesRaw: _, ...encoded } = codec;
      assert.deepEqual(run({ ...encoded, name: `${codec.name}-encoded` }), run(codec), codec.name);
    }
  });

  it("a codec that sends pages raw is never asked to encode", () => {
    const neverEncodes: CodecDefinition = {
      ...zero,
      name: "never-encodes",
      create: () => ({
        ...zero.create(),
        encode: () => {
          throw new Error("encode() called");
        },
      }),
    };
    assert.deepEqual(run(neverEncodes), run(zero));
  });

  it("verification holds a codec to sendsPagesRaw and changes nothing sent", () => {
    for (const codec of [raw, zero]) assert.deepEqual(run(codec, 1), run(codec), codec.name);
    const compresses: CodecDefinition = {
      ...zero,
      name: "compresses",
      create: () => ({
        ...zero.create(),
        encode: (_page, _previous, out) => {
          out.fill(0, 0, 100);
          return 100;
        },
        wireBytes: (result: number) => (result > 0 ? 8 + result : 0),
      }),
    };
    assert.throws(() => run(compresses, 64), /declares sendsPagesRaw, but encode\(\) returned 100/);
  });
});

describe("a plug-in's declared traits", () => {
  const dir = mkdtempSync(join(tmpdir(), "migbench-traits-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const plugin = (name: string, traits: string) => {
    const path = join(dir, `${name}.ts`);
    writeFileSync(
      path,
      `export default { name: "${name}", usesPrevious: false, ${traits} create() {
        return { name: "${name}", encode: () => -1, decode() {}, wireBytes: () => 4104 };
      } };\n`,
    );
    return path;
  };

  it("sendsPagesRaw defaults to false", async () => {
    const definition = await loadCodecModule(plugin("plain", ""));
    assert.equal(definition.sendsPagesRaw, false);
  });

  it("sendsPagesRaw must be true or false", async () => {
    await assert.rejects(
      loadCodecModule(plugin("fuzzy", 'sendsPagesRaw: "yes",')),
      /sendsPagesRaw must be true or false/,
    );
    const definition = await loadCodecModule(plugin("declared", "sendsPagesRaw: true,"));
    assert.equal(definition.sendsPagesRaw, true);
  });
});
