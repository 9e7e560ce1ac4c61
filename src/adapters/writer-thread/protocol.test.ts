import { describe, expect, it } from 'vitest';
import type { HitWrite } from '../../app/hit-writer.js';
import { packBatch, unpackBatch } from './protocol.js';

describe('packed hit batches', () => {
  it('come back exactly as they went, hits and delivery notes in order', () => {
    const batch: HitWrite[] = [
      {
        kind: 'hit',
        hit: { kind: 'click', at: 1_700_000_000_123, method: 'HEAD', ip: '2001:db8::1', userAgent: 'Mozilla/5.0 (X11)', headers: { referer: 'https://mail.example/', 'accept-language': 'fr' }, linkOrdinal: 0, messageId: 41, campaignId: 7, sentAt: 1_700_000_000_000, deliveredAt: null, linkCount: 3, consent: false, selfRecipient: true },
      },
      { kind: 'delivery', messageId: 41, sentAt: 1, deliveredAt: 2 },
      {
        kind: 'hit',
        hit: { kind: 'open', at: 5, method: 'GET', ip: null, userAgent: null, headers: {}, linkOrdinal: null, messageId: 42, campaignId: 7, sentAt: null, deliveredAt: 4, linkCount: 0, consent: true, selfRecipient: false },
      },
      { kind: 'hit', hit: { kind: 'unsubscribe_page', at: 6, method: 'GET', ip: '198.51.100.2', userAgent: 'curl/8', headers: { purpose: 'prefetch' }, linkOrdinal: null, messageId: 43, campaignId: 8, sentAt: null, deliveredAt: null, linkCount: 1, consent: true, selfRecipient: false } },
    ];
    // Through the structured clone a worker's messages go through.
    expect(unpackBatch(structuredClone(packBatch(batch)))).toEqual(batch);
    expect(unpackBatch(packBatch([]))).toEqual([]);
  });

  it('refuse an item they do not know, naming it', () => {
    expect(() => unpackBatch(['visit', 1, 2])).toThrow(/unknown item 'visit' at 0/);
  });
});
