// No imports: the compiler masks the numbers it quotes in phone-invalid with this module too.

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

/**
 * A number as someone wrote it (any format, maybe not a number at all), masked like `maskNumber`:
 * written with a leading + it is its digits in E.164 form, masked; otherwise there is no country
 * code to keep and only the last two digits show. National formats (`(604) 585-2331`) would
 * escape `maskNumbersIn`.
 */
export function maskWrittenNumber(text: string): string {
  const trimmed = text.trim();
  const digits = trimmed.replace(/\D/g, "");
  if (trimmed.startsWith("+") || trimmed.startsWith("\uff0b")) return maskNumber(`+${digits}`);
  return digits.length <= 2 ? "•••" : `•••${digits.slice(-2)}`;
}
