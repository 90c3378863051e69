/* Generated from schema/connectly/send-template.schema.json by `npm run gen`. Do not edit by hand. */

/**
 * Body of POST /v1/businesses/{businessId}/send/whatsapp_templated_messages.
 */
export interface SendTemplateBody {
  number: string;
  templateName: string;
  language: string;
  parameters?: {
    name: string;
    value: string;
    filename?: string;
  }[];
  sender?: string;
  campaignName?: string;
  callbackData?: unknown;
}
