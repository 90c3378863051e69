// Bench data, one module for every bench that compiles an audience: the project (a message
// with locales and a campaign over specs/audiences/big.csv) and two kinds of audience:
//   "simple":    3 countries, 3 spellings, ASCII names, no locale (the bench's first data set);
//   "realistic": 8 countries in 4 spellings each (two of them with a trunk "(0)", 6% of rows),
//                32% non-ASCII names, 15 locale spellings, and optionally quoted cells.
// Every row has a distinct valid number up to 10,000,000 rows per kind.
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { once } from "node:events";

/**
 * Writes specs/ into `dir`: the campaign reads specs/audiences/big.csv. For "realistic" data the
 * message has locales and the campaign a locale column.
 */
export function writeProject(dir, kind = "realistic") {
  const realistic = kind !== "simple";
  mkdirSync(join(dir, "specs", "messages"), { recursive: true });
  mkdirSync(join(dir, "specs", "campaigns"), { recursive: true });
  mkdirSync(join(dir, "specs", "audiences"), { recursive: true });
  writeFileSync(
    join(dir, "specs", "messages", "shipped.yaml"),
    `kind: Message
name: shipped
vars:
  first_name: { type: string, maxLength: 40 }
  order_id: { type: string, pattern: "^[0-9]{5,}$" }
samples:
  ana: { first_name: Ana, order_id: "12345" }
session:
  text: "Hi {{first_name}}! Order #{{order_id}} is on its way."
  buttons:
    - { id: track, text: Track }
    - { id: help, text: Help }
template:
  name: order_shipped_v2
  language: en_US
  body: ["{{first_name}}", "{{order_id}}"]
window: auto
${realistic ? `locales:
  es:
    session: { text: "¡Hola {{first_name}}! Tu pedido #{{order_id}} va en camino." }
    template: { language: es }
  pt_BR:
    session: { text: "Olá {{first_name}}! O pedido #{{order_id}} está a caminho." }
    template: { language: pt_BR }
  fr:
    session: { text: "Bonjour {{first_name}} ! La commande n°{{order_id}} est en route." }
    template: { language: fr }
  de:
    session: { text: "Hallo {{first_name}}! Bestellung #{{order_id}} ist unterwegs." }
    template: { language: de }
` : ""}`,
  );
  writeFileSync(
    join(dir, "specs", "campaigns", "big.yaml"),
    `kind: Campaign
name: big
message: shipped
audience:
  file: ../audiences/big.csv
  lastInboundAt: last_seen
${realistic ? "  locale: locale\n" : ""}`,
  );
  return join(dir, "specs", "audiences", "big.csv");
}

/** Distinct valid numbers in three countries and three spellings (the first bench data set). */
export function simplePhone(i) {
  const n = Math.floor(i / 3);
  switch (i % 3) {
    case 0: {
      const digits = String(2_000_000 + (n % 8_000_000)).padStart(7, "0");
      return `+1 604 ${digits.slice(0, 3)} ${digits.slice(3)}`;
    }
    case 1:
      return `+447400${String(n % 1_000_000).padStart(6, "0")}`;
    default: {
      const digits = String(n % 10_000_000).padStart(7, "0");
      return `+49 1512 ${digits}`;
    }
  }
}

/**
 * Each country: its calling code, the national number's fixed start and how many digits follow,
 * and four spellings of (calling code, national number). Row i is country i % 8, spelling
 * (i / 8) % 4; GB and FR write one spelling in four with the trunk "(0)".
 */
const COUNTRIES = [
  { cc: "1", start: "604", digits: 7, first: 2_000_000, spell: [(c, n) => `+${c}${n}`, (c, n) => `+${c} ${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`, (c, n) => `+${c} (${n.slice(0, 3)}) ${n.slice(3, 6)}-${n.slice(6)}`, (c, n) => `+${c}-${n.slice(0, 3)}-${n.slice(3, 6)}-${n.slice(6)}`] },
  { cc: "44", start: "740", digits: 7, spell: [(c, n) => `+${c}${n}`, (c, n) => `+${c} ${n.slice(0, 4)} ${n.slice(4)}`, (c, n) => `+${c} (0)${n.slice(0, 4)} ${n.slice(4)}`, (c, n) => `+${c}-${n.slice(0, 4)}-${n.slice(4, 7)}-${n.slice(7)}`] },
  { cc: "49", start: "1512", digits: 7, spell: [(c, n) => `+${c}${n}`, (c, n) => `+${c} ${n.slice(0, 4)} ${n.slice(4)}`, (c, n) => `+${c} ${n.slice(0, 4)}-${n.slice(4)}`, (c, n) => `+${c} (${n.slice(0, 4)}) ${n.slice(4)}`] },
  { cc: "33", start: "6", digits: 8, spell: [(c, n) => `+${c}${n}`, (c, n) => `+${c} ${pairs(n)}`, (c, n) => `+${c} (0)${pairs(n)}`, (c, n) => `+${c}.${pairs(n).replaceAll(" ", ".")}`] },
  { cc: "55", start: "119", digits: 8, spell: [(c, n) => `+${c}${n}`, (c, n) => `+${c} ${n.slice(0, 2)} ${n.slice(2, 7)}-${n.slice(7)}`, (c, n) => `+${c} (${n.slice(0, 2)}) ${n.slice(2, 7)}-${n.slice(7)}`, (c, n) => `+${c} ${n.slice(0, 2)} ${n.slice(2)}`] },
  { cc: "52", start: "55", digits: 8, spell: [(c, n) => `+${c}${n}`, (c, n) => `+${c} ${n.slice(0, 2)} ${n.slice(2, 6)} ${n.slice(6)}`, (c, n) => `+${c} (${n.slice(0, 2)}) ${n.slice(2, 6)}-${n.slice(6)}`, (c, n) => `+${c}-${n.slice(0, 2)}-${n.slice(2, 6)}-${n.slice(6)}`] },
  { cc: "91", start: "98", digits: 8, spell: [(c, n) => `+${c}${n}`, (c, n) => `+${c} ${n.slice(0, 5)} ${n.slice(5)}`, (c, n) => `+${c}-${n.slice(0, 5)}-${n.slice(5)}`, (c, n) => `+${c} ${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`] },
  { cc: "34", start: "6", digits: 8, spell: [(c, n) => `+${c}${n}`, (c, n) => `+${c} ${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`, (c, n) => `+${c} ${n.slice(0, 3)} ${n.slice(3, 5)} ${n.slice(5, 7)} ${n.slice(7)}`, (c, n) => `+${c}.${n.slice(0, 3)}.${n.slice(3, 6)}.${n.slice(6)}`] },
];

function pairs(n) {
  return `${n[0]} ${n.slice(1, 3)} ${n.slice(3, 5)} ${n.slice(5, 7)} ${n.slice(7)}`;
}

/** Row i's number in the realistic mix (distinct for i below 10,000,000 at least). */
export function realisticPhone(i) {
  const country = COUNTRIES[i % 8];
  const n = Math.floor(i / 8);
  const national = country.start + String((country.first ?? 0) + n).padStart(country.digits, "0");
  return country.spell[n % 4](country.cc, national);
}

/** 25 first names, 8 of them (32%) not ASCII. */
const NAMES = [
  "Ana", "José", "Liam", "Zoë", "Noah", "Emma", "François", "Olivia", "Müller", "Ava", "Søren", "Mia", "João",
  "Lucas", "Łukasz", "Sofia", "Çağla", "Ethan", "Алексей", "Amelia", "Nguyễn", "Harper", "Mateo", "Ella", "Leo",
];
/** 15 spellings of locales, among them ones the message has no entry for and an empty cell. */
const LOCALES = ["es", "es-MX", "es_ES", "ES", "pt_BR", "pt-BR", "pt-br", "fr", "fr-FR", "fr_CA", "de", "de-DE", "en", "en-US", ""];

/** Writes `rows` audience rows to `path`. kind "simple" or "realistic". */
export async function writeAudience(path, rows, { kind = "realistic" } = {}) {
  const out = createWriteStream(path);
  out.write(kind === "simple" ? "phone,first_name,order_id,last_seen\n" : "phone,first_name,order_id,last_seen,locale\n");
  let chunk = "";
  for (let i = 0; i < rows; i++) {
    if (kind === "simple") {
      chunk += `${simplePhone(i)},Name${i % 1000},${100000 + i},${i % 2 ? "2026-11-20T10:00:00Z" : ""}\n`;
    } else {
      chunk += `${realisticPhone(i)},${NAMES[i % 25]},${100000 + i},${i % 2 ? "2026-11-20T10:00:00Z" : ""},${LOCALES[i % 15]}\n`;
    }
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, "drain");
      chunk = "";
    }
  }
  out.end(chunk);
  await once(out, "finish");
}
