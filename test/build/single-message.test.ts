/** gatherValues keeps every name it is given as a value of its own, `__proto__` included. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { gatherValues } from "../../src/runner/single-message.js";

const dir = mkdtempSync(join(tmpdir(), "msgc-single-message-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("gatherValues and a value named __proto__", () => {
  it("from a --vars file or a --var pair, it is an own value, not the prototype whose keys would pass for values", () => {
    const file = join(dir, "vars.yaml");
    writeFileSync(file, "__proto__: { first_name: Ana }\norder_id: 12345\n");
    const fromFile = gatherValues({ path: file, shownAs: "vars.yaml" }, []).values;
    expect(Object.getPrototypeOf(fromFile)).toBe(Object.prototype);
    expect(Object.keys(fromFile)).toEqual(["__proto__", "order_id"]);
    expect(fromFile.first_name).toBeUndefined();
    const fromPair = gatherValues(undefined, ["__proto__=x", "order_id=1"]).values;
    expect(Object.getPrototypeOf(fromPair)).toBe(Object.prototype);
    expect(Object.keys(fromPair)).toEqual(["__proto__", "order_id"]);
    expect(Object.getOwnPropertyDescriptor(fromPair, "__proto__")?.value).toBe("x");
  });
});
