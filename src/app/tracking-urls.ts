/** The public URLs of the tracking endpoints for one message. */
import { signToken, type Keyring } from '../core/tokens.js';
import { HONEYPOT_ORDINAL, type TrackingUrls } from '../core/instrument/index.js';

export const TRACKING_PATHS = { open: '/o/', click: '/c/', unsubscribe: '/u/' } as const;

export interface MessageUrls extends TrackingUrls {
  unsubscribe(): string;
}

export function messageUrls(keyring: Keyring, baseUrl: string, messageId: number): MessageUrls {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    open: () => base + TRACKING_PATHS.open + signToken(keyring, { kind: 'open', messageId, ordinal: null }),
    click: (ordinal) => base + TRACKING_PATHS.click + signToken(keyring, { kind: 'click', messageId, ordinal }),
    honeypot: () => base + TRACKING_PATHS.click + signToken(keyring, { kind: 'click', messageId, ordinal: HONEYPOT_ORDINAL }),
    unsubscribe: () => base + TRACKING_PATHS.unsubscribe + signToken(keyring, { kind: 'unsubscribe', messageId, ordinal: null }),
  };
}
