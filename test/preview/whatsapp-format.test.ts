import { describe, expect, test } from "vitest";
import type { TextSpan } from "../../src/runner/preview/whatsapp-format.js";
import { parseWhatsAppFormatting } from "../../src/runner/preview/whatsapp-format.js";

const cases: [string, string, TextSpan[]][] = [
  ["plain: no markers", "Hello there", [{ text: "Hello there" }]],
  ["bold: a word", "Hi *Ana*!", [{ text: "Hi " }, { text: "Ana", bold: true }, { text: "!" }]],
  ["italic: a word", "_soon_", [{ text: "soon", italic: true }]],
  ["strike: a word", "was ~10~ 8", [{ text: "was " }, { text: "10", strike: true }, { text: " 8" }]],
  ["mono: literal content", "code ```*not bold*```", [{ text: "code " }, { text: "*not bold*", mono: true }]],
  ["nested: bold italic", "*_both_*", [{ text: "both", bold: true, italic: true }]],
  ["bold: several words", "*big sale today*", [{ text: "big sale today", bold: true }]],
  ["bold: inside a word is literal", "2*3*4", [{ text: "2*3*4" }]],
  ["bold: space after opener is literal", "* not bold*", [{ text: "* not bold*" }]],
  ["bold: space before closer is literal", "*not bold *", [{ text: "*not bold *" }]],
  ["bold: unclosed is literal", "*open", [{ text: "*open" }]],
  ["bold: never spans lines", "*a\nb*", [{ text: "*a\nb*" }]],
  ["italic: snake_case stays literal", "use first_name_here", [{ text: "use first_name_here" }]],
  ["empty: doubled marker is literal", "**", [{ text: "**" }]],
  ["mono: unclosed fence is literal", "```abc", [{ text: "```abc" }]],
  ["punctuation: before opener", "(*yes*)", [{ text: "(" }, { text: "yes", bold: true }, { text: ")" }]],
];

describe("parseWhatsAppFormatting", () => {
  test.each(cases)("%s", (_name, input, expected) => {
    expect(parseWhatsAppFormatting(input)).toEqual(expected);
  });
});
