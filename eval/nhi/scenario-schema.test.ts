import { describe, expect, it } from 'vitest';
import { formatScenarioError, parseScenarios, toJsonLines } from './scenario-schema.js';

const good = {
  message: 'm1',
  campaign: 'spring',
  recipient: 'ann@corp.example',
  links: ['https://shop.example/a', 'https://shop.example/b'],
  honeypot: true,
  sentAt: 0,
  deliveredAt: 1500,
  hits: [
    { at: 9000, kind: 'open', method: 'GET', ip: '203.0.113.9', ua: 'Mozilla/5.0', headers: { 'accept-language': 'fr' }, truth: 'human' },
    { at: 9400, kind: 'click', link: 1, method: 'head', ip: '2001:db8::1', ua: '', headers: {}, truth: 'bot' },
    { at: 9500, kind: 'click', link: 'honeypot', method: 'GET', ip: '40.107.3.4', truth: 'bot' },
  ],
};

const line = (patch: Record<string, unknown>) => JSON.stringify({ ...good, ...patch });
const withHit = (index: number, patch: Record<string, unknown>) => line({ hits: good.hits.map((h, i) => (i === index ? { ...h, ...patch } : h)) });

describe('parseScenarios', () => {
  it('parses a valid line and fills the defaults', () => {
    const { scenarios, errors } = parseScenarios(`${JSON.stringify({ ...good, recipients: undefined, deliveredAt: undefined })}\n\n`);
    expect(errors).toEqual([]);
    expect(scenarios).toHaveLength(1);
    const [s] = scenarios;
    expect(s!.recipients).toBe(1);
    expect(s!.deliveredAt).toBeNull();
    expect(s!.hits[1]).toMatchObject({ method: 'HEAD', link: 1, ua: '' });
    expect(s!.hits[2]).toMatchObject({ ua: null, headers: {} });
  });

  it('takes as a hit address only what the server reads as one', () => {
    expect(parseScenarios(withHit(0, { ip: '::ffff:203.0.113.9' })).errors).toEqual([]);
    for (const ip of ['fe80::1%eth0', '010.0.0.1', '203.0.113.9/32', 'unknown']) {
      const { scenarios, errors } = parseScenarios(withHit(0, { ip }));
      expect(scenarios, ip).toEqual([]);
      expect(errors.map(formatScenarioError).join(), ip).toMatch(/must be an IPv4 or IPv6 address/);
    }
  });

  it('round-trips through toJsonLines', () => {
    const { scenarios } = parseScenarios(line({}));
    expect(parseScenarios(toJsonLines(scenarios)).scenarios).toEqual(scenarios);
  });

  it('reports each bad line with its line number and field', () => {
    const text = [
      line({ message: 'a' }),
      '{not json',
      '',
      withHit(0, { ip: '999.1.1.1' }),
      withHit(1, { link: 2 }),
      line({ message: 'e', honeypot: false }),
      withHit(0, { truth: 'alien' }),
      line({ message: 'a' }),
      line({ message: 'h', links: ['ftp://x.example/'], recipient: 'not-an-email' }),
      withHit(1, { link: undefined }),
      withHit(0, { method: 'POST' }),
      line({ message: 'k', sentAt: -5 }),
    ].join('\n');
    const { scenarios, errors } = parseScenarios(text);
    expect(scenarios.map((s) => s.message)).toEqual(['a']);
    const found = errors.map((e) => `${e.line} ${e.field}`);
    expect(found).toEqual([
      '2 (line)',
      '4 hits[0].ip',
      '5 hits[1].link',
      '6 hits[2].link',
      '7 hits[0].truth',
      '8 message',
      '9 recipient',
      '9 links[0]',
      '9 hits[1].link',
      '10 hits[1].link',
      '11 hits[0].method',
      '12 sentAt',
    ]);
    expect(errors[2]!.message).toMatch(/out of range: the message has 2 link/);
    expect(errors[3]!.message).toMatch(/no honeypot/);
    expect(errors[5]!.message).toMatch(/duplicate message id "a" \(first on line 1\)/);
    expect(formatScenarioError(errors[1]!)).toBe('line 4: hits[0].ip: must be an IPv4 or IPv6 address');
  });
});
