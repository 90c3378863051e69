/**
 * Template nesting is capped before Handlebars parses the template: its parser slows with the
 * square of the depth and its visitors recurse until the stack runs out.
 */
import { describe, expect, it } from "vitest";
import { compileText, type VarInfo } from "../../src/compiler/interpolation.js";
import { MAX_TEMPLATE_NESTING, tooDeepAt } from "../../src/compiler/template-depth.js";

const ctx = { file: "m.yaml", path: ["session", "text"], vars: new Map<string, VarInfo>([["a", { optional: false }]]) };
const TOO_DEEP =
  "The template nests more than 32 levels deep ({{#if}} and {{#unless}} blocks, {{else if}} chains and (sub-expressions) together); write it flatter";

const calls = (n: number): string => `{{upper ${"(upper ".repeat(n)}a${")".repeat(n)}}}`;
const ifs = (n: number): string => `${"{{#if a}}".repeat(n)}x${"{{/if}}".repeat(n)}`;

function problems(source: string): Array<[string, number | undefined, string]> {
  return compileText(source, ctx).diagnostics.map((d) => [d.code, d.offset, d.message]);
}

describe("template nesting", () => {
  it("the limit itself compiles and renders; one level more is one diagnostic at the mustache", () => {
    expect(MAX_TEMPLATE_NESTING).toBe(32);
    expect(compileText(`x ${calls(32)}`, ctx).text!.render({ a: "b" }, undefined)).toBe("x B");
    expect(problems(`x ${calls(33)}`)).toEqual([["template-syntax", 2, TOO_DEEP]]);
    expect(compileText(ifs(32), ctx).text!.render({ a: "b" }, undefined)).toBe("x");
    expect(problems(ifs(33))).toEqual([["template-syntax", 32 * "{{#if a}}".length, TOO_DEEP]]);
  });

  it("the issue's 1,500 levels (16 KB): one diagnostic, no stack overflow", () => {
    expect(problems(calls(1500))).toEqual([["template-syntax", 0, TOO_DEEP]]);
    expect(problems(ifs(5000))).toEqual([["template-syntax", 32 * "{{#if a}}".length, TOO_DEEP]]);
  });

  it("blocks, else-if chains and sub-expressions add up; closed blocks do not", () => {
    const chain = (n: number): string => `{{#if a}}x${"{{else if a}}y".repeat(n)}{{/if}}`;
    expect(tooDeepAt(chain(31))).toBeUndefined();
    expect(tooDeepAt(chain(32))).toBe(`{{#if a}}x${"{{else if a}}y".repeat(31)}`.length);
    expect(tooDeepAt(`${ifs(30)}${calls(2)}`)).toBeUndefined();
    expect(tooDeepAt(`${"{{#if a}}".repeat(30)}${calls(3)}`)).toBe(30 * 9);
    expect(tooDeepAt(`${ifs(20)}${ifs(20)}${ifs(20)}`)).toBeUndefined();
    expect(tooDeepAt("{{#if a}}{{else}}{{^}}x{{/if}}".repeat(40))).toBeUndefined();
  });

  it("what Handlebars reads as text does not count; what it may read as nesting always does", () => {
    // Parentheses in strings, [literal] names and comments are not sub-expressions.
    expect(tooDeepAt(`{{default a "${"(".repeat(40)}"}}{{!-- ${"(".repeat(40)} --}}{{[${"(".repeat(40)}]}}`)).toBeUndefined();
    // An escaped mustache is text; a backslash before it escaped is not an escape.
    expect(tooDeepAt(`\\${calls(40)}`)).toBeUndefined();
    expect(tooDeepAt(`\\\\${calls(40)}`)).toBe(2);
    // A ] or a quote inside a [literal] or a string cannot hide what follows.
    expect(tooDeepAt(`{{upper [)))] ${"(upper ".repeat(33)}a${")".repeat(33)}}}`)).toBe(0);
    expect(tooDeepAt(`{{upper [it's] ${"(upper ".repeat(33)}a${")".repeat(33)}}}`)).toBe(0);
    // Left open (a string Handlebars may close elsewhere): everything after counts.
    expect(tooDeepAt(`{{upper "a\\" ${"(upper ".repeat(33)}a${")".repeat(33)}}}`)).toBe(0);
    expect(tooDeepAt(`{{!-- ${calls(40)}`)).toBe(0);
  });

  it("many comments and mustaches are scanned in one pass (a 1 MiB string of them)", () => {
    expect(tooDeepAt("{{! x }}".repeat(130_000))).toBeUndefined();
    expect(tooDeepAt("{{!-- x --}}".repeat(90_000))).toBeUndefined();
    expect(tooDeepAt("{{a}}".repeat(200_000))).toBeUndefined();
  });
});
