/** The shape writer always writes exactly JSON.stringify's UTF-8 bytes, whatever it has learned. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createShapeWriter, NO_ROOM } from "../../src/runner/shape-serializer.js";

type Writer = ReturnType<typeof createShapeWriter>;

function written(write: Writer, value: unknown, room = 1 << 16): string | typeof NO_ROOM {
  const buf = new Uint8Array(room + 8).fill(0x2a);
  const end = write(value, buf, 4, 4 + room);
  if (end === NO_ROOM) return NO_ROOM;
  // Nothing outside [pos, end) is touched.
  expect([...buf.subarray(0, 4), ...buf.subarray(4 + room)]).toEqual(new Array(8).fill(0x2a));
  return Buffer.from(buf.subarray(4, end)).toString("utf8");
}

function expectSame(write: Writer, value: unknown): void {
  const json = JSON.stringify(value);
  // The writer may ask for up to 3 bytes per UTF-16 unit before it knows the exact size.
  let bytes = new Uint8Array(json.length * 3 + 8);
  let end = write(value, bytes, 0, bytes.length);
  // A learned shape longer than this value may ask for more room before it sees the mismatch;
  // the NDJSON writer then retries in a fresh 64 KiB chunk, and so does this.
  if (end === NO_ROOM) {
    bytes = new Uint8Array(64 * 1024);
    end = write(value, bytes, 0, bytes.length);
  }
  expect(end).toBe(Buffer.byteLength(json));
  expect(Buffer.from(bytes.subarray(0, end)).equals(Buffer.from(json))).toBe(true);
}

const item = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  key: "big/+16045550100",
  spec: "specs/campaigns/big.yaml",
  window: "auto",
  lastInboundAt: null,
  template: {
    method: "POST",
    path: "/v1/businesses/{businessId}/send/whatsapp_templated_messages",
    body: { number: "+16045550100", templateName: "t", language: "en_US", parameters: [{ name: "body_1", value: "Ana" }] },
  },
  ...overrides,
});

describe("createShapeWriter", () => {
  it("writes the same bytes as JSON.stringify for items of one shape and their variations", () => {
    const write = createShapeWriter();
    const values: unknown[] = [
      item(),
      item(),
      item({ key: "big/+4915120000000", lastInboundAt: "2026-11-20T10:00:00Z" }),
      item({ key: 'quote " backslash \\ tab \t newline \n nul \u0000 del \u007f' }),
      item({ key: "unicode: é 漢字 😀 \u2028 \u2029" }),
      item({ key: "lone surrogates \ud800 x \udc00 and a pair \ud83d\ude00" }),
      item({ lastInboundAt: 12.5 }),
      item({ lastInboundAt: -0 }),
      item({ lastInboundAt: Number.NaN }),
      item({ lastInboundAt: Number.POSITIVE_INFINITY }),
      item({ lastInboundAt: true }),
      item({ lastInboundAt: false }),
      item({ lastInboundAt: 1e21 }),
      // A key left out, one more, an undefined value, another order, another array length.
      (() => {
        const v = item();
        delete v.lastInboundAt;
        return v;
      })(),
      item({ extra: 1 }),
      item({ lastInboundAt: undefined }),
      { window: "auto", key: "k", spec: "s", lastInboundAt: null, template: item().template },
      item({ template: { method: "POST", path: "/p", body: { number: "+1", templateName: "t", language: "en", parameters: [] } } }),
      item({ template: { method: "POST", path: "/p", body: { number: "+1", templateName: "t", language: "en", parameters: [{ name: "a", value: "b" }, { name: "c", value: "d" }] } } }),
      // Values JSON.stringify treats specially where a leaf or an object was learned.
      item({ lastInboundAt: new Date(0) }),
      item({ lastInboundAt: { toJSON: () => "converted" } }),
      item({ lastInboundAt: () => 1 }),
      item({ lastInboundAt: Symbol("s") }),
      item({ lastInboundAt: [1, , 3] }), // eslint-disable-line no-sparse-arrays
      item({ template: new Date(0) }),
      item({ template: Object.assign(Object.create(null) as object, item().template as object) }),
      item({ template: "a string instead" }),
      item({ template: null }),
      item({ template: [1, 2, 3] }),
      item({ 2: "integer-like keys come first", 1: "one" }),
      { __proto__: null, key: "null prototype" },
      JSON.parse('{"__proto__": {"a": 1}, "b": 2}'),
      item(),
    ];
    for (let round = 0; round < 3; round++) for (const value of values) expectSame(write, value);
  });

  it("matches JSON.stringify on arbitrary JSON values, repeated and mixed", () => {
    const write = createShapeWriter();
    const text = fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }), fc.constantFrom("", '"', "\\", "\u0000", "\ud800"));
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, text, fc.double(), fc.boolean(), fc.constant(null), tie("array"), tie("object")),
      array: fc.array(tie("value"), { maxLength: 4 }),
      object: fc.dictionary(text, tie("value"), { maxKeys: 4 }),
    })).value;
    fc.assert(
      fc.property(fc.array(json, { maxLength: 6 }), (batch) => {
        // Each value twice: the second time goes through the shape learned from the first.
        for (const value of [...batch, ...batch]) expectSame(write, value);
      }),
      { numRuns: 300 },
    );
  });

  it("matches JSON.stringify when a learned shape gets other leaves", () => {
    const leaf = fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined));
    const replaceLeaves = (value: unknown, leaves: unknown[], at: { i: number }): unknown => {
      if (Array.isArray(value)) return value.map((v) => replaceLeaves(v, leaves, at));
      if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceLeaves(v, leaves, at)]));
      }
      return leaves.length === 0 ? value : leaves[at.i++ % leaves.length];
    };
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.array(fc.array(leaf, { maxLength: 5 }), { maxLength: 4 }), (value, variations) => {
        const write = createShapeWriter();
        expectSame(write, value);
        for (const leaves of variations) {
          const varied = replaceLeaves(value, leaves, { i: 0 });
          // A bare undefined is not JSON at all.
          if (varied !== undefined) expectSame(write, varied);
        }
      }),
      { numRuns: 300, ...(process.env.MSGC_FC_SEED ? { seed: Number(process.env.MSGC_FC_SEED) } : {}) },
    );
  });

  it("reports NO_ROOM instead of writing past the end, learned shape or not", () => {
    const write = createShapeWriter();
    const value = item();
    const json = JSON.stringify(value);
    expect(written(write, value, json.length - 1)).toBe(NO_ROOM);
    expect(written(write, value, json.length * 3)).toBe(json);
    // Learned: printable ASCII fits exactly.
    for (const room of [0, 1, 10, 40, json.length - 1]) expect(written(write, value, room)).toBe(NO_ROOM);
    expect(written(write, value, json.length)).toBe(json);
    const escaped = item({ key: "é\n" });
    expect(written(write, escaped, 10)).toBe(NO_ROOM);
    expect(written(write, escaped)).toBe(JSON.stringify(escaped));
  });

  it("stops specialising when shapes never repeat, and stays exact", () => {
    const write = createShapeWriter();
    for (let i = 0; i < 300; i++) expectSame(write, { [`key${i}`]: i, nested: { [`n${i}`]: [i] } });
    expectSame(write, item());
  });
});
