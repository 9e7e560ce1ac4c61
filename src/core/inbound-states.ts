/**
 * What became of one inbound report that is not events: why it is kept for review. Pure, so the
 * dashboard's Review page offers exactly the states the server stores.
 */
export const INBOUND_STATES = ['unparseable', 'not-a-report', 'unmatched', 'auth-failure', 'auto-reply', 'not-spam'] as const;
export type InboundState = (typeof INBOUND_STATES)[number];
