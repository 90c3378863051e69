/**
 * Every body the compiler emits in the test suite goes through here: it must be valid against
 * Connectly's request schemas (schema/connectly/*.json).
 */
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { expect } from "vitest";
import type { PlanItem } from "../../src/compiler/plan.js";

const root = new URL("../../", import.meta.url);
const ajv = new Ajv({ allErrors: true, strict: false });
const validateSession = ajv.compile(JSON.parse(readFileSync(new URL("schema/connectly/send-message.schema.json", root), "utf8")));
const validateTemplate = ajv.compile(JSON.parse(readFileSync(new URL("schema/connectly/send-template.schema.json", root), "utf8")));

export function sessionBodyErrors(body: unknown): unknown[] {
  return validateSession(body) ? [] : (validateSession.errors ?? []);
}

export function templateBodyErrors(body: unknown): unknown[] {
  return validateTemplate(body) ? [] : (validateTemplate.errors ?? []);
}

/** Asserts that every request body of the items is a valid Connectly request. */
export function expectValidRequests(items: readonly PlanItem[]): void {
  for (const item of items) {
    if (item.session) expect(sessionBodyErrors(item.session.body), `${item.key}: session body`).toEqual([]);
    if (item.template) expect(templateBodyErrors(item.template.body), `${item.key}: template body`).toEqual([]);
  }
}
