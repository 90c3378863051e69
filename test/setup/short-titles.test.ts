import { expect, test } from "vitest";
import { MAX_TITLE, titleProblem } from "./short-titles.js";

test("test titles: a payload-sized title is refused, a case name is not", () => {
  expect(titleProblem("JSON nested a million deep: 400 ERROR_CODE_MALFORMED_JSON")).toBeUndefined();
  expect(titleProblem("x".repeat(MAX_TITLE))).toBeUndefined();
  expect(titleProblem(`JSON nested a million deep: 400 ${"[".repeat(1024 * 1024 - 1)}`)).toBe(
    `test title is 1048607 characters (at most 200): name the case, not its payload: ${JSON.stringify(`JSON nested a million deep: 400 ${"[".repeat(28)}`)}…`,
  );
});
