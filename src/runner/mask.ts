/**
 * Masks a phone number for previews, diffs and summaries: `+16045852331` -> `+1604•••2331`.
 * Keeps the first five characters (country code and area) and the last four; anything short
 * is masked except its last two characters.
 */
export function maskNumber(number: string): string {
  if (number.length >= 10) return `${number.slice(0, 5)}•••${number.slice(-4)}`;
  if (number.length <= 2) return "•••";
  return `•••${number.slice(-2)}`;
}

/** Masks every E.164-looking number inside a text (keys such as `campaign/+16045852331`). */
export function maskNumbersIn(text: string): string {
  return text.replace(/\+[1-9]\d{6,14}/g, maskNumber);
}
