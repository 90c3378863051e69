/* Generated from schema/connectly/send-message.schema.json by `npm run gen`. Do not edit by hand. */

/**
 * Body of POST /v1/businesses/{businessId}/send/messages (session message).
 */
export interface SendMessageBody {
  sender?: Channel;
  recipient: Channel;
  message: {
    text?: string;
    attachments?: Attachment[];
    location?: {
      latitude: number;
      longitude: number;
      name?: string;
      address?: string;
    };
    listMessage?: {
      button: {
        id?: string;
        text: string;
      };
      header?: Header;
      footer?: TextObject;
      /**
       * @minItems 1
       */
      sections: [
        {
          title?: string;
          /**
           * @minItems 1
           */
          rows: [
            {
              id: string;
              text: string;
              description?: string;
            },
            ...{
              id: string;
              text: string;
              description?: string;
            }[]
          ];
        },
        ...{
          title?: string;
          /**
           * @minItems 1
           */
          rows: [
            {
              id: string;
              text: string;
              description?: string;
            },
            ...{
              id: string;
              text: string;
              description?: string;
            }[]
          ];
        }[]
      ];
    };
    replyButtonMessage?: {
      /**
       * @minItems 1
       */
      buttons: [
        {
          id: string;
          text: string;
        },
        ...{
          id: string;
          text: string;
        }[]
      ];
      header?: Header;
      footer?: TextObject;
    };
    singleProductMessage?: {
      catalogId: string;
      productItem: {
        productRetailerId: string;
      };
      footer?: TextObject;
    };
  };
  campaignName?: string;
  callbackData?: unknown;
}
export interface Channel {
  id: string;
  channelType: "whatsapp";
  name?: string;
}
export interface Attachment {
  type: "image" | "video" | "audio" | "document";
  url: string;
  caption?: string;
  filename?: string;
}
export interface Header {
  text?: string;
  attachment?: Attachment;
}
export interface TextObject {
  text: string;
}
