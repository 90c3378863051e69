import { parseAllDocuments } from "yaml";
const { parseYamlFastOrDecline } = await import("../dist/project/yaml-fast.js");
const cases = ["a: |\n  12", "a: |+\n  12", "a: |-\n  12", "a: >\n  12", "a: |\n  12\n", "a: |+\n  12\n\n", "a: |+\n  12\n  ", "a: |\n  12\n  ", "a: |+\n  x\n \n", "a: |+\n  x\n \nb: 1"];
for (const c of cases) {
  const d = parseAllDocuments(c, { version: "1.2", schema: "core", strict: true, uniqueKeys: true });
  console.log(JSON.stringify(c), JSON.stringify(d[0].toJS()), d[0].errors.length, JSON.stringify(parseYamlFastOrDecline(c)));
}
