/** The two sides of the diff tests: a small project, then a commit that changes it. */

export const CONFIG = "specs: specs\n";

export function orderShipped(trackTitle: string): string {
  return `kind: Message
name: order-shipped
vars:
  first_name: { type: string }
  order_id: { type: string }
samples:
  ana: { first_name: Ana, order_id: "12345" }
session:
  text: "Hi {{first_name}}! Order #{{order_id}} is on its way."
  buttons:
    - { id: track, text: ${trackTitle} }
    - { id: help, text: Help }
template:
  name: order_shipped_v2
  language: en_US
  body: ["{{first_name}}", "{{order_id}}"]
window: auto
`;
}

export const OLD_PROMO = `kind: Message
name: old-promo
samples:
  one: {}
session:
  text: "Spring sale: 20% off *everything*"
window: session
`;

export const WELCOME = `kind: Message
name: welcome
vars:
  first_name: { type: string }
samples:
  ana: { first_name: Ana }
session:
  text: "Welcome, {{first_name}}!"
window: session
`;

export function fragile(buttonTitle: string): string {
  return `kind: Message
name: fragile
samples:
  one: {}
session:
  text: "Pick one"
  buttons:
    - { id: a, text: ${buttonTitle} }
window: session
`;
}

export const RECEIPT = `kind: Message
name: receipt
vars:
  first_name: { type: string }
  order_id: { type: string }
samples:
  ana: { first_name: Ana, order_id: "12345" }
session:
  text: "Thanks {{first_name}}, we got order {{order_id}}."
window: session
`;

export const CAMPAIGN = `kind: Campaign
name: spring
message: receipt
audience:
  file: ../audiences/spring.csv
`;

export const AUDIENCE_BEFORE = `phone,first_name,order_id
+16045550101,Ana,10001
+16045550102,Ben,10002
+16045550103,Chloé,10003
+16045550104,Dev,10004
`;

/** Ben removed, Chloé's order changed, Emma added. */
export const AUDIENCE_AFTER = `phone,first_name,order_id
+16045550101,Ana,10001
+16045550103,Chloé,20003
+16045550104,Dev,10004
+16045550105,Emma,10005
`;

export const BROKEN_TITLE = "This title is far too long for a button";
