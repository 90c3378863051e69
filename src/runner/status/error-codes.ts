/**
 * What Connectly's error codes mean, in a sentence a person running a campaign can act on
 * (reference: connectly-api.md §4.2). The same codes come back in a send's answer and in a
 * `delivery_failed` webhook. msgc's own codes (a network failure, an HTTP status without a body)
 * are explained too; anything else is shown as it came, with no meaning made up.
 */
import { OPTED_OUT_CODE } from "../../connectly/answer.js";

const MEANINGS: Readonly<Record<string, string>> = {
  ERROR_CODE_INVALID_SENDER_ID: "the sender phone number is not valid",
  ERROR_CODE_PHONE_NUMBER_BAD_FORMAT: "the recipient number is badly formatted",
  ERROR_CODE_MESSAGE_ATTACHMENTS_NUMBER_INVALID: "wrong number of attachments (one per message)",
  ERROR_CODE_MESSAGE_TEXT_EMPTY: "the message text is empty",
  ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND: "no template with that name and language",
  ERROR_CODE_MESSAGE_TEMPLATE_INPUT_INVALID: "the template's parameters are invalid",
  ERROR_CODE_MESSAGE_ATTACHMENT_EMPTY: "an attachment URL is empty",
  ERROR_CODE_MESSAGE_ATTACHMENT_INVALID: "an attachment URL cannot be parsed",
  ERROR_CODE_BUSINESS_MISSES_MATCHING_CHANNEL: "the business has no sender channel of that type",
  ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW: "more than 24 hours since the customer last wrote: send a template",
  ERROR_CODE_BUSINESS_REACHED_LIMITS: "the channel is restricted: too many earlier messages blocked or flagged as spam",
  ERROR_CODE_MESSAGE_SELF_INVALID: "this message type cannot be sent to yourself",
  ERROR_CODE_MESSAGE_PHONE_NUMBER_INVALID: "the recipient number is invalid",
  [OPTED_OUT_CODE]: "the customer opted out of template messages",
  ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION: "the customer never wrote: send a template first",
  ERROR_CODE_BUSINESS_KEY_SECRET_ABSENT: "the business API secret is not set up: contact Connectly",
  ERROR_CODE_MESSAGE_TEMPLATE_DELETED: "the template's language content is being deleted",
  ERROR_CODE_UNSPECIFIED: "Connectly gave no reason (internal error)",
  ERROR_CODE_RATE_LIMIT_EXCEEDED: "rate limited, and the retries ran out",
  ERROR_CODE_UNAUTHENTICATED: "the API key was refused",
  ERROR_CODE_FORBIDDEN: "the API key may not use this business",
  ERROR_CODE_INVALID_ARGUMENT: "the request was refused as invalid",
  "invalid-request": "msgc refused to send a request the API would reject",
  "connection-refused": "the API refused the connection; nothing was sent",
  "connect-timeout": "the API could not be reached in time; nothing was sent",
  "host-not-found": "the API's host name did not resolve; nothing was sent",
  "host-unreachable": "the API's host was unreachable; nothing was sent",
  timeout: "no answer in time; the message may or may not have arrived",
  "connection-reset": "the connection broke; the message may or may not have arrived",
  "connection-closed": "the connection closed; the message may or may not have arrived",
  "network-error": "the connection failed; the message may or may not have arrived",
  "unknown-error": "no error code was recorded",
};

/** The meaning of an error code, or undefined when msgc does not know the code. */
export function describeErrorCode(code: string): string | undefined {
  if (Object.hasOwn(MEANINGS, code)) return MEANINGS[code];
  const http = /^HTTP_(\d{3})$/.exec(code);
  if (http) return `HTTP ${http[1]} with no error code in the answer`;
  return undefined;
}
