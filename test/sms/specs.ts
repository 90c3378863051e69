/** The campaign the SMS CLI and send tests share: a per-row channel column. */
export const PICKUP_CAMPAIGN = `kind: Campaign
name: pickup-day
message: pickup
audience:
  file: ../audiences/pickup.csv
  channel: channel
`;
