import { describe, expect, it } from 'vitest';
import { HitClassifier, MAX_GROUP_HITS } from './hit-classifier.js';
import type { HitFacts, MessageFacts, NetworkEvidence } from './verdict.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36';
const OLD_CHROME = 'Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/57.0.2987.133 Safari/537.36';
const APPLE: NetworkEvidence = { name: 'apple-mpp', reason: 'net:apple-mpp', kind: 'prefetch', scope: 'opens', strength: 'certain' };
const EOP: NetworkEvidence = { name: 'microsoft-eop', reason: 'net:microsoft-eop', kind: 'scanner', scope: 'clicks', strength: 'probable' };
const SELF: NetworkEvidence = { name: 'self', reason: 'net:self', kind: 'self', scope: 'both', strength: 'certain' };

const msg = (messageId: number, extra: Partial<MessageFacts> = {}): MessageFacts => ({ messageId, campaignId: 1, sentAt: 0, deliveredAt: 1_000, linkCount: 3, ...extra });
const hit = (kind: HitFacts['kind'], at: number, extra: Partial<HitFacts> = {}): HitFacts => ({
  kind,
  at,
  method: 'GET',
  ip: '203.0.113.9',
  userAgent: CHROME,
  headers: { 'accept-language': 'en-GB' },
  linkOrdinal: kind === 'click' ? 1 : null,
  networks: [],
  ...extra,
});

describe('HitClassifier', () => {
  it('calls a person reading hours later human', () => {
    const c = new HitClassifier<string>();
    expect(c.observe('o', hit('open', 3_600_000), msg(1)).judgement).toEqual({ verdict: 'human', reasons: [] });
    expect(c.observe('c', hit('click', 3_620_000), msg(1)).judgement).toEqual({ verdict: 'human', reasons: [] });
  });

  it('calls Apple MPP (bare Mozilla/5.0 from Apple egress) machine, but not the bare UA alone', () => {
    const c = new HitClassifier<string>();
    expect(c.observe('a', hit('open', 5_000, { userAgent: 'Mozilla/5.0', networks: [APPLE] }), msg(1)).judgement).toEqual({ verdict: 'machine', reasons: ['ua:bare-mozilla', 'net:apple-mpp'] });
    expect(c.observe('b', hit('open', 7_200_000, { userAgent: 'Mozilla/5.0' }), msg(2)).judgement.verdict).toBe('human');
    expect(c.observe('c', hit('open', 5_000, { userAgent: CHROME, networks: [APPLE] }), msg(3)).judgement.verdict).toBe('human');
  });

  it('calls Gmail proxy opens human and Gmail prefetch machine', () => {
    const c = new HitClassifier<string>();
    const proxy = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';
    expect(c.observe('a', hit('open', 2_000, { userAgent: proxy, headers: {} }), msg(1)).judgement).toEqual({ verdict: 'human', reasons: ['proxy:gmail'] });
    const prefetch = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/42.0.2311.135 Safari/537.36 Edge/12.246 Mozilla/5.0';
    expect(c.observe('b', hit('open', 2_000, { userAgent: prefetch }), msg(2)).judgement.verdict).toBe('machine');
  });

  it('marks a multi-link burst as bot, including the clicks seen before the burst was complete', () => {
    const c = new HitClassifier<string>();
    const first = c.observe('1', hit('click', 45_000, { linkOrdinal: 1 }), msg(1));
    expect(first.judgement.verdict).toBe('human');
    const second = c.observe('2', hit('click', 45_300, { linkOrdinal: 2 }), msg(1));
    expect(second.judgement.verdict).toBe('bot');
    expect(second.judgement.reasons).toContain('burst:multi-link');
    expect(second.revised.map((r) => [r.ref, r.judgement.verdict])).toEqual([['1', 'bot']]);
  });

  it('keeps a person’s later click human after a scanner’s burst', () => {
    const c = new HitClassifier<string>();
    c.observe('s1', hit('click', 40_000, { linkOrdinal: 1, userAgent: OLD_CHROME, ip: '40.107.3.4', headers: {}, networks: [EOP] }), msg(1));
    c.observe('s2', hit('click', 40_200, { linkOrdinal: 2, userAgent: OLD_CHROME, ip: '40.107.3.4', headers: {}, networks: [EOP] }), msg(1));
    const person = c.observe('p', hit('click', 1_800_000, { linkOrdinal: 2, headers: { 'accept-language': 'de', referer: 'https://eur01.safelinks.protection.outlook.com/?url=x' } }), msg(1));
    expect(person.judgement).toEqual({ verdict: 'human', reasons: ['referer:gateway'] });
  });

  it('needs two probable signals: a gateway network alone does not decide', () => {
    const c = new HitClassifier<string>();
    // Browser isolation: the person's click is loaded from the vendor's network, at human timing.
    expect(c.observe('iso', hit('click', 900_000, { networks: [EOP] }), msg(1, { linkCount: 1 })).judgement).toEqual({ verdict: 'human', reasons: ['net:microsoft-eop'] });
    // A single-link scan: the network and the timing together do.
    const scan = c.observe('scan', hit('click', 30_000, { networks: [EOP], userAgent: OLD_CHROME, headers: {} }), msg(2, { linkCount: 1 }));
    expect(scan.judgement.verdict).toBe('bot');
  });

  it('marks certain signals alone: HEAD, self-named UA, honeypot, before delivery', () => {
    const c = new HitClassifier<string>();
    expect(c.observe('h', hit('click', 600_000, { method: 'HEAD' }), msg(1)).judgement.reasons).toEqual(['method:head']);
    expect(c.observe('u', hit('click', 600_000, { userAgent: 'python-requests/2.31.0' }), msg(2)).judgement.verdict).toBe('bot');
    expect(c.observe('b', hit('click', 500, {}), msg(3)).judgement.reasons).toContain('timing:before-delivery');
  });

  it('revises the recipient’s clicks around a honeypot hit, and opens from its IP', () => {
    const c = new HitClassifier<string>();
    c.observe('o', hit('open', 20_000, { ip: '198.51.100.7' }), msg(1));
    c.observe('c', hit('click', 25_000, { ip: '198.51.100.7', linkOrdinal: 2 }), msg(1));
    const trap = c.observe('t', hit('click', 26_000, { ip: '198.51.100.7', linkOrdinal: 0 }), msg(1));
    expect(trap.judgement.reasons).toContain('honeypot');
    expect(Object.fromEntries(trap.revised.map((r) => [r.ref, r.judgement.verdict]))).toEqual({ c: 'bot', o: 'bot' });
  });

  it('calls a scanner clicking for three recipients of a campaign within seconds bot, all three', () => {
    const c = new HitClassifier<string>();
    // A fleet address posing as Chrome, without the Accept-Language every browser sends, two minutes after delivery.
    const scanner = { ip: '52.1.2.3', headers: {} };
    expect(c.observe('a', hit('click', 120_000, scanner), msg(1, { linkCount: 1 })).judgement).toEqual({ verdict: 'human', reasons: ['header:no-accept-language'] });
    c.observe('b', hit('click', 122_000, scanner), msg(2, { linkCount: 1 }));
    const third = c.observe('c', hit('click', 124_000, scanner), msg(3, { linkCount: 1 }));
    expect(third.judgement).toEqual({ verdict: 'bot', reasons: ['burst:cross-recipient', 'header:no-accept-language'] });
    expect(third.revised.map((r) => [r.ref, r.judgement.verdict])).toEqual([
      ['a', 'bot'],
      ['b', 'bot'],
    ]);
    // The same scan soon after delivery, from clicks that otherwise look like a browser's: the timing is the mark.
    const early = new HitClassifier<string>();
    for (const [i, at] of [45_000, 47_000, 49_000].entries()) early.observe(String(i), hit('click', at, { ip: '52.1.2.4' }), msg(10 + i, { linkCount: 1 }));
    expect(early.observe('3', hit('click', 50_000, { ip: '52.1.2.4' }), msg(13, { linkCount: 1 })).judgement.reasons).toContain('burst:cross-recipient');
    expect(early.observe('4', hit('click', 50_500, { ip: '52.1.2.4' }), msg(14, { linkCount: 1 })).judgement.verdict).toBe('bot');
  });

  it('calls colleagues behind one NAT clicking the same campaign within seconds human: browsers, one link each, hours after delivery', () => {
    const c = new HitClassifier<string>();
    const firefox = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0';
    const safari = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15';
    const office = '192.0.2.200';
    const colleagues: [string, number, Partial<HitFacts>][] = [
      ['ann', 7_200_000, { userAgent: CHROME, linkOrdinal: 1, headers: { 'accept-language': 'en-GB' } }],
      ['bob', 7_203_000, { userAgent: firefox, linkOrdinal: 2, headers: { 'accept-language': 'de-DE,de;q=0.9' } }],
      ['cat', 7_207_000, { userAgent: safari, linkOrdinal: 1, headers: { 'accept-language': 'fr-FR' } }],
    ];
    const verdicts = colleagues.map(([ref, at, extra], i) => c.observe(ref, hit('click', at, { ip: office, ...extra }), msg(20 + i)).judgement);
    // The burst is seen and shown, but decides nothing alone.
    expect(verdicts).toEqual([
      { verdict: 'human', reasons: [] },
      { verdict: 'human', reasons: [] },
      { verdict: 'human', reasons: ['burst:cross-recipient'] },
    ]);
    // Minutes apart, there is no burst at all.
    const spread = new HitClassifier<string>();
    for (const [i, at] of [600_000, 900_000, 1_500_000].entries()) {
      expect(spread.observe(String(i), hit('click', at, { ip: office }), msg(10 + i, { linkCount: 1 })).judgement).toEqual({ verdict: 'human', reasons: [] });
    }
  });

  it('gives the sender’s own networks and own addresses the self verdict', () => {
    const c = new HitClassifier<string>();
    expect(c.observe('s', hit('open', 2_000, { networks: [SELF] }), msg(1)).judgement).toEqual({ verdict: 'self', reasons: ['net:self'] });
    // A seed copy: self even when its click looks like a scanner's.
    expect(c.observe('t', hit('click', 1_500, { method: 'HEAD' }), msg(2, { selfRecipient: true })).judgement).toEqual({ verdict: 'self', reasons: ['recipient:self'] });
  });

  it('never revises a verdict because a hit was forgotten: what was seen around it stays true', () => {
    const c = new HitClassifier<string>();
    // A scanner clicks both links at machine speed, every half second, more often than a group keeps.
    const revisions: string[] = [];
    for (let round = 0; round < MAX_GROUP_HITS; round++) {
      for (const link of [1, 2]) {
        const observed = c.observe(`${round}:${link}`, hit('click', 3_600_000 + round * 500 + link, { linkOrdinal: link }), msg(1, { linkCount: 2 }));
        revisions.push(...observed.revised.map((r) => `${r.ref} ${r.judgement.verdict} ${r.judgement.reasons.join(' ')}`));
      }
    }
    // Each round's first click is revised once, when its partner comes 1 ms later; nothing is revised back when the partner is evicted.
    expect(revisions).toHaveLength(MAX_GROUP_HITS);
    expect(new Set(revisions.map((r) => r.split(' ').slice(1).join(' ')))).toEqual(new Set(['bot burst:multi-link']));
  });

  it('keeps at most its bound of hits, forgetting the messages hit least recently', () => {
    const c = new HitClassifier<string>({ maxKeptHits: 5 });
    // A first click on message 1; alone, it is a person's.
    expect(c.observe('first', hit('click', 3_600_000, { linkOrdinal: 1 }), msg(1)).judgement.verdict).toBe('human');
    const twin = new HitClassifier<string>({ maxKeptHits: 5 });
    twin.observe('first', hit('click', 3_600_000, { linkOrdinal: 1 }), msg(1));
    // Hits on six other messages (from other addresses) push message 1 out of the bounded memory.
    for (let m = 2; m <= 7; m++) c.observe(`m${m}`, hit('open', 3_600_010 + m, { ip: `198.51.100.${m}` }), msg(m));
    expect(c.keptHits).toBe(5);
    // The second link 100 ms later is a burst with the first only where the first is still known.
    expect(twin.observe('second', hit('click', 3_600_100, { linkOrdinal: 2 }), msg(1)).judgement.reasons).toContain('burst:multi-link');
    expect(c.observe('second', hit('click', 3_600_100, { linkOrdinal: 2 }), msg(1)).judgement.reasons).not.toContain('burst:multi-link');
    expect(c.keptHits).toBe(5);
  });

  it('keeps a bot a bot: a later burst only adds its reason to it', () => {
    const c = new HitClassifier<string>();
    expect(c.observe('probe', hit('click', 3_600_000, { method: 'HEAD' }), msg(1)).judgement).toEqual({ verdict: 'bot', reasons: ['method:head'] });
    const next = c.observe('next', hit('click', 3_600_050, { linkOrdinal: 2 }), msg(1));
    // The second click is at machine speed after the probe: a bot, and the probe is marked as part of the burst.
    expect(next.judgement).toEqual({ verdict: 'bot', reasons: ['burst:multi-link'] });
    expect(next.revised.map((r) => [r.ref, r.judgement])).toEqual([['probe', { verdict: 'bot', reasons: ['method:head', 'burst:multi-link'] }]]);
    // Once marked, the same burst growing revises nothing.
    expect(c.observe('third', hit('click', 3_600_100, { linkOrdinal: 3 }), msg(1)).revised.map((r) => r.ref)).toEqual([]);
  });

  it('takes judged hits back into memory as they stand, and a later hit completes their burst', () => {
    const c = new HitClassifier<string>();
    // A scanner posing as a browser, without Accept-Language.
    const scanner = { ip: '198.51.100.7', headers: {} };
    // Two recipients' clicks from one address, judged human before a restart, remembered after it.
    c.remember('r1', hit('click', 3_600_000, scanner), msg(1), { verdict: 'human', reasons: ['header:no-accept-language'] });
    c.remember('r2', hit('click', 3_602_000, scanner), msg(2), { verdict: 'human', reasons: ['header:no-accept-language'] });
    const third = c.observe('r3', hit('click', 3_604_000, scanner), msg(3));
    expect(third.judgement.verdict).toBe('bot');
    expect(third.judgement.reasons).toContain('burst:cross-recipient');
    expect(third.revised.map((r) => [r.ref, r.judgement.verdict])).toEqual([
      ['r1', 'bot'],
      ['r2', 'bot'],
    ]);
    // Remembering judges nothing: a hit that would be a bot today keeps the verdict it was stored with.
    const quiet = new HitClassifier<string>();
    quiet.remember('probe', hit('click', 3_600_000, { method: 'HEAD' }), msg(9), { verdict: 'human', reasons: [] });
    expect(quiet.observe('later', hit('open', 7_200_000), msg(9)).revised).toEqual([]);
  });

  it('keeps a seed copy self when its facts arrive after facts without the flag (a restart)', () => {
    const c = new HitClassifier<string>();
    c.remember('before', hit('open', 3_600_000), msg(4), { verdict: 'self', reasons: ['recipient:self'] });
    c.observe('after', hit('click', 3_700_000), msg(4, { selfRecipient: true }));
    // A late delivery report judges the message's hits again, from the facts each kept.
    const revised = c.noteDelivery(4, { sentAt: 0, deliveredAt: 900 });
    expect(revised.map((r) => r.ref)).not.toContain('after');
  });
});

describe('HitClassifier batches', () => {
  type Step = { kind: 'hit'; ref: string; hit: HitFacts; message: MessageFacts } | { kind: 'delivery'; messageId: number; deliveredAt: number };

  /** A deterministic stream of hits and delivery notes on a few messages from a few addresses: bursts, honeypots, trims and evictions. */
  function stream(seed: number, length: number, messages: number, start: number): Step[] {
    // mulberry32: small, and exact in 32-bit integer arithmetic.
    let state = seed;
    const next = (n: number) => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const steps: Step[] = [];
    let at = start;
    for (let i = 0; i < length; i++) {
      // Mostly seconds apart, now and then past the memory's 15 minutes.
      at += next(50) === 0 ? 16 * 60_000 : next(3_000);
      const messageId = 1 + next(messages);
      if (next(8) === 0) {
        steps.push({ kind: 'delivery', messageId, deliveredAt: at - next(120_000) });
        continue;
      }
      const kind = next(3) === 0 ? 'open' : 'click';
      const extra: Partial<HitFacts> = { ip: `198.51.100.${next(2)}`, method: next(15) === 0 ? 'HEAD' : 'GET' };
      if (kind === 'click') extra.linkOrdinal = next(10) === 0 ? 0 : 1 + next(3);
      steps.push({ kind: 'hit', ref: `${seed}:${i}`, hit: hit(kind, at, extra), message: msg(messageId) });
    }
    return steps;
  }

  /** What the classifier says at each step: verdicts, and the earlier hits it revised. */
  function play(c: HitClassifier<string>, steps: readonly Step[]): string[] {
    const said: string[] = [];
    const show = (r: { ref: string; judgement: { verdict: string; reasons: string[] } }) => `${r.ref}=${r.judgement.verdict}[${r.judgement.reasons.join(',')}]`;
    for (const step of steps) {
      if (step.kind === 'delivery') {
        said.push(`delivery ${step.messageId}: ${c.noteDelivery(step.messageId, { sentAt: 0, deliveredAt: step.deliveredAt }).map(show).join(' ')}`);
      } else {
        const o = c.observe(step.ref, step.hit, step.message);
        said.push(`${show({ ref: step.ref, judgement: o.judgement })}: ${o.revised.map(show).join(' ')}`);
      }
    }
    return [...said, `kept ${c.keptHits}`];
  }

  // Small memories evict groups within a batch; two messages fill groups past MAX_GROUP_HITS and trim them.
  const memories = [
    { name: 'evicting', limits: { maxKeptHits: 6 }, messages: 8 },
    { name: 'trimming', limits: {}, messages: 2 },
  ];

  it.each(memories)('after a rolled back batch, says what it would have said without the batch ($name memory)', ({ limits, messages }) => {
    let batchesThatMatter = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const before = stream(seed, 60, messages, 3_600_000);
      // The batch and what follows it both start where `before` ends: what follows would see the batch's hits.
      const end = Math.max(...before.map((s) => (s.kind === 'hit' ? s.hit.at : 0)));
      const batch = stream(seed + 100, 30, messages, end).map((s) => (s.kind === 'hit' ? { ...s, ref: `batch ${s.ref}` } : s));
      const after = stream(seed + 200, 60, messages, end);
      const classifier = (seen: readonly Step[]) => {
        const c = new HitClassifier<string>(limits);
        play(c, seen);
        return c;
      };
      const rolledBack = classifier(before);
      rolledBack.begin();
      play(rolledBack, batch);
      rolledBack.rollback();
      const expected = play(classifier(before), after);
      expect(play(rolledBack, after), `seed ${seed}`).toEqual(expected);
      const kept = play(classifier([...before, ...batch]), after);
      if (JSON.stringify(kept) !== JSON.stringify(expected)) batchesThatMatter++;
    }
    // Kept, most batches would change what is said after them: the test has something to undo.
    expect(batchesThatMatter).toBeGreaterThan(10);
  });

  it.each(memories)('after a committed batch, says what it says without batches ($name memory)', ({ limits, messages }) => {
    const steps = stream(7, 150, messages, 3_600_000);
    const plain = new HitClassifier<string>(limits);
    const batched = new HitClassifier<string>(limits);
    const said: string[] = [];
    for (let i = 0; i < steps.length; i += 10) {
      batched.begin();
      said.push(...play(batched, steps.slice(i, i + 10)).slice(0, -1));
      batched.commit();
    }
    expect(said).toEqual(play(plain, steps).slice(0, -1));
  });

  it('refuses a second batch while one is open, and a rollback without one', () => {
    const c = new HitClassifier<string>();
    c.begin();
    expect(() => c.begin()).toThrow(/already open/);
    c.commit();
    expect(() => c.rollback()).toThrow(/no batch/);
  });
});
