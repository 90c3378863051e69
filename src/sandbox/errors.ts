/**
 * Connectly's error body and the codes the sandbox answers with. Codes and types that Connectly
 * documents are used as documented; the ones it does not document (routing, rate limit, server
 * faults) are the sandbox's own choice, listed in docs/sandbox.md.
 */
import type { OPTED_OUT_CODE } from "../connectly/answer.js";

export type ErrorType =
  | "ERROR_TYPE_INVALID_REQUEST"
  | "ERROR_TYPE_AUTHENTICATION"
  | "ERROR_TYPE_DEADLINE_EXCEEDED"
  | "ERROR_TYPE_RATE_LIMIT_EXCEEDED"
  | "ERROR_TYPE_UNSPECIFIED";

export type ErrorCode =
  // documented by Connectly
  | "ERROR_CODE_INVALID_SENDER_ID"
  | "ERROR_CODE_PHONE_NUMBER_BAD_FORMAT"
  | "ERROR_CODE_MESSAGE_ATTACHMENTS_NUMBER_INVALID"
  | "ERROR_CODE_MESSAGE_TEXT_EMPTY"
  | "ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND"
  | "ERROR_CODE_MESSAGE_TEMPLATE_INPUT_INVALID"
  | "ERROR_CODE_MESSAGE_ATTACHMENT_EMPTY"
  | "ERROR_CODE_MESSAGE_ATTACHMENT_INVALID"
  | "ERROR_CODE_BUSINESS_MISSES_MATCHING_CHANNEL"
  | "ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW"
  | "ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION"
  | typeof OPTED_OUT_CODE
  | "ERROR_CODE_UNSPECIFIED"
  // the sandbox's own, where Connectly documents none
  | "ERROR_CODE_INVALID_ARGUMENT"
  | "ERROR_CODE_MALFORMED_JSON"
  | "ERROR_CODE_REQUEST_TOO_LARGE"
  | "ERROR_CODE_UNSUPPORTED_CONTENT_TYPE"
  | "ERROR_CODE_PATH_NOT_FOUND"
  | "ERROR_CODE_METHOD_NOT_ALLOWED"
  | "ERROR_CODE_FORBIDDEN"
  | "ERROR_CODE_UNAUTHENTICATED"
  | "ERROR_CODE_RATE_LIMIT_EXCEEDED"
  | "ERROR_CODE_MESSAGE_TEMPLATE_ALREADY_EXISTS"
  // only in a delivery_failed webhook (--undeliverable-rate)
  | "ERROR_CODE_MESSAGE_UNDELIVERABLE";

/** A rejection before it is given a trace id and serialized. */
export interface Rejection {
  status: number;
  type: ErrorType;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export interface ConnectlyErrorBody {
  message: string;
  type: ErrorType;
  code: ErrorCode;
  userTitle: string;
  userMessage: string;
  cntTraceId: string;
  details: Record<string, unknown>;
}

export function invalidRequest(code: ErrorCode, message: string, details?: Record<string, unknown>): Rejection {
  return { status: 400, type: "ERROR_TYPE_INVALID_REQUEST", code, message, ...(details ? { details } : {}) };
}

export function toErrorBody(rejection: Rejection, traceId: string): ConnectlyErrorBody {
  return {
    message: rejection.message,
    type: rejection.type,
    code: rejection.code,
    userTitle: rejection.message,
    userMessage: `Pass along the connectly trace id '${traceId}' to the team for more information.`,
    cntTraceId: traceId,
    details: rejection.details ?? {},
  };
}

export const INTERNAL_ERROR: Rejection = {
  status: 500,
  type: "ERROR_TYPE_UNSPECIFIED",
  code: "ERROR_CODE_UNSPECIFIED",
  message: "Internal server error",
};
