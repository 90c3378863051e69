import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import type { ErrorObject, ValidateFunction } from "ajv";
import ajvFormats from "ajv-formats";
import type { SendMessageBody, SendTemplateBody } from "../compiler/plan.js";
import { invalidRequest } from "./errors.js";
import type { ErrorCode, Rejection } from "./errors.js";

export type Endpoint = "messages" | "whatsapp_templated_messages";

const E164 = /^\+[1-9]\d{6,14}$/;
const CALLBACK_DATA_MAX_BYTES = 1024;
const SESSION_CONTENT_KINDS = ["attachments", "location", "listMessage", "replyButtonMessage", "singleProductMessage"] as const;

export function isE164(value: string): boolean {
  return E164.test(value);
}

export function isWebUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === "https:" || protocol === "http:";
  } catch {
    return false;
  }
}

function loadSchema(name: string): object {
  // Relative to the module so that it resolves from src/ (tests) and dist/ (the bin) alike.
  return JSON.parse(readFileSync(new URL(`../../schema/connectly/${name}`, import.meta.url), "utf8")) as object;
}

let validators: Record<Endpoint, ValidateFunction> | undefined;

/** Compiled once per process: compiling is slow, validating is fast. */
export function getValidators(): Record<Endpoint, ValidateFunction> {
  if (!validators) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    ajvFormats.default(ajv);
    validators = {
      messages: ajv.compile(loadSchema("send-message.schema.json")),
      whatsapp_templated_messages: ajv.compile(loadSchema("send-template.schema.json")),
    };
  }
  return validators;
}

/** `/message/attachments/0/url` -> `message.attachments[0].url`, the way people read a field. */
function fieldName(instancePath: string, child?: string): string {
  const parts = instancePath.split("/").slice(1);
  if (child !== undefined) parts.push(child);
  let name = "";
  for (const raw of parts) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (/^\d+$/.test(part)) name += `[${part}]`;
    else name += name ? `.${part}` : part;
  }
  return name || "body";
}

function describe(error: ErrorObject): { field: string; problem: string } {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return { field: fieldName(error.instancePath, String(params["missingProperty"])), problem: "is required" };
    case "additionalProperties":
      return { field: fieldName(error.instancePath, String(params["additionalProperty"])), problem: "is not a known field" };
    case "type":
      return { field: fieldName(error.instancePath), problem: `must be of type ${String(params["type"])}` };
    case "const":
      return { field: fieldName(error.instancePath), problem: `must be ${JSON.stringify(params["allowedValue"])}` };
    case "enum":
      return { field: fieldName(error.instancePath), problem: `must be one of ${(params["allowedValues"] as unknown[]).map((v) => JSON.stringify(v)).join(", ")}` };
    case "minLength":
      return { field: fieldName(error.instancePath), problem: "must not be empty" };
    case "minItems":
    case "minProperties":
      return { field: fieldName(error.instancePath), problem: "must not be empty" };
    case "minimum":
    case "maximum":
      return { field: fieldName(error.instancePath), problem: `must be ${String(params["comparison"])} ${String(params["limit"])}` };
    default:
      return { field: fieldName(error.instancePath), problem: "has a value that is not allowed" };
  }
}

/** Which Connectly code a schema failure deserves; undefined means the generic one. */
function codeFor(endpoint: Endpoint, error: ErrorObject): ErrorCode | undefined {
  const params = error.params as Record<string, unknown>;
  const child = params["missingProperty"] ?? params["additionalProperty"];
  const path = child === undefined ? error.instancePath : `${error.instancePath}/${String(child)}`;
  const isAdditional = error.keyword === "additionalProperties";
  if (endpoint === "messages") {
    if (/^\/(recipient|sender)\/channelType$/.test(path)) return "ERROR_CODE_BUSINESS_MISSES_MATCHING_CHANNEL";
    if (isAdditional) return undefined;
    if (/^\/recipient(\/id)?$/.test(path)) return "ERROR_CODE_PHONE_NUMBER_BAD_FORMAT";
    if (/^\/sender(\/id)?$/.test(path)) return "ERROR_CODE_INVALID_SENDER_ID";
    if (path === "/message" && error.keyword === "minProperties") return "ERROR_CODE_MESSAGE_TEXT_EMPTY";
    if (/^\/message\/(attachments\/\d+|(listMessage|replyButtonMessage)\/header\/attachment)\/url$/.test(path)) {
      return error.keyword === "required" ? "ERROR_CODE_MESSAGE_ATTACHMENT_EMPTY" : "ERROR_CODE_MESSAGE_ATTACHMENT_INVALID";
    }
    return undefined;
  }
  if (isAdditional) return path.startsWith("/parameters/") ? "ERROR_CODE_MESSAGE_TEMPLATE_INPUT_INVALID" : undefined;
  if (path === "/number") return "ERROR_CODE_PHONE_NUMBER_BAD_FORMAT";
  if (path === "/sender") return "ERROR_CODE_INVALID_SENDER_ID";
  if (path === "/templateName" || path === "/language") return "ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND";
  if (path.startsWith("/parameters")) return "ERROR_CODE_MESSAGE_TEMPLATE_INPUT_INVALID";
  return undefined;
}

function schemaRejection(endpoint: Endpoint, errors: ErrorObject[]): Rejection {
  // The first error with a specific code wins, so a bad number is reported as such even when an
  // unrelated field is also wrong; Ajv's error order follows the schema, so this is stable.
  const specific = errors.find((e) => codeFor(endpoint, e) !== undefined);
  const chosen = specific ?? errors[0]!;
  const { field, problem } = describe(chosen);
  return invalidRequest(codeFor(endpoint, chosen) ?? "ERROR_CODE_INVALID_ARGUMENT", `${field} ${problem}`, { field });
}

function checkAttachmentUrl(url: string, field: string): Rejection | undefined {
  if (url.trim() === "") return invalidRequest("ERROR_CODE_MESSAGE_ATTACHMENT_EMPTY", `${field} is empty`, { field });
  if (!isWebUrl(url)) {
    return invalidRequest("ERROR_CODE_MESSAGE_ATTACHMENT_INVALID", `${field} is not a valid http(s) URL`, { field });
  }
  return undefined;
}

export function checkCallbackData(body: { callbackData?: unknown }): Rejection | undefined {
  if (body.callbackData === undefined) return undefined;
  const size = Buffer.byteLength(JSON.stringify(body.callbackData) ?? "", "utf8");
  if (size <= CALLBACK_DATA_MAX_BYTES) return undefined;
  return invalidRequest("ERROR_CODE_INVALID_ARGUMENT", `callbackData is ${size} bytes; at most ${CALLBACK_DATA_MAX_BYTES} are allowed`, { field: "callbackData" });
}

function checkSession(body: SendMessageBody): Rejection | undefined {
  if (!isE164(body.recipient.id)) {
    return invalidRequest("ERROR_CODE_PHONE_NUMBER_BAD_FORMAT", `recipient.id "${body.recipient.id}" is not an E.164 number`, { field: "recipient.id" });
  }
  if (body.sender && !isE164(body.sender.id)) {
    return invalidRequest("ERROR_CODE_INVALID_SENDER_ID", `sender.id "${body.sender.id}" is not an E.164 number`, { field: "sender.id" });
  }
  const message = body.message;
  const kinds = SESSION_CONTENT_KINDS.filter((kind) => message[kind] !== undefined);
  if (kinds.length > 1) {
    return invalidRequest("ERROR_CODE_INVALID_ARGUMENT", `message has ${kinds.join(" and ")}; exactly one content kind is allowed`, { field: "message" });
  }
  const kind = kinds[0];
  const interactive = kind === "listMessage" || kind === "replyButtonMessage";
  if (message.text !== undefined && (kind === "attachments" || kind === "location")) {
    return invalidRequest("ERROR_CODE_INVALID_ARGUMENT", `message.text cannot be combined with ${kind}`, { field: "message.text" });
  }
  if ((kind === undefined || interactive || message.text !== undefined) && (message.text ?? "").trim() === "") {
    return invalidRequest("ERROR_CODE_MESSAGE_TEXT_EMPTY", "message.text is empty", { field: "message.text" });
  }
  if (message.attachments) {
    if (message.attachments.length !== 1) {
      return invalidRequest("ERROR_CODE_MESSAGE_ATTACHMENTS_NUMBER_INVALID", `message.attachments has ${message.attachments.length} items; exactly one is allowed`, { field: "message.attachments" });
    }
    const problem = checkAttachmentUrl(message.attachments[0]!.url, "message.attachments[0].url");
    if (problem) return problem;
  }
  const headerAttachment = message.listMessage?.header?.attachment ?? message.replyButtonMessage?.header?.attachment;
  if (headerAttachment) {
    const problem = checkAttachmentUrl(headerAttachment.url, `message.${kind}.header.attachment.url`);
    if (problem) return problem;
  }
  return checkCallbackData(body);
}

function checkTemplateEnvelope(body: SendTemplateBody): Rejection | undefined {
  if (!isE164(body.number)) {
    return invalidRequest("ERROR_CODE_PHONE_NUMBER_BAD_FORMAT", `number "${body.number}" is not an E.164 number`, { field: "number" });
  }
  if (body.sender !== undefined && !isE164(body.sender)) {
    return invalidRequest("ERROR_CODE_INVALID_SENDER_ID", `sender "${body.sender}" is not an E.164 number`, { field: "sender" });
  }
  return checkCallbackData(body);
}

/**
 * Checks a parsed body the way Connectly would before it looks at the window or the template
 * list: the schema first, then what a schema cannot say (E.164 numbers, one attachment, ...).
 */
export function validateBody(endpoint: Endpoint, body: unknown): Rejection | undefined {
  const validate = getValidators()[endpoint];
  if (!validate(body)) return schemaRejection(endpoint, validate.errors ?? []);
  return endpoint === "messages" ? checkSession(body as SendMessageBody) : checkTemplateEnvelope(body as SendTemplateBody);
}
