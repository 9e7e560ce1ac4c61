import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { matchLinks, type LinkMatch, type MatchableLink } from './link-matching.js';

/** Links from destinations written in order: 'a' is https://x.example/a; a `t:` prefix puts it in the text part. */
function links(...names: string[]): MatchableLink[] {
  return names.map((name, index) => ({
    ordinal: index + 1,
    url: `https://x.example/${name.replace(/^t:/, '')}`,
    part: name.startsWith('t:') ? 'text' : 'html',
  }));
}

/** Matches as `ordinal->referenceOrdinal how`, compact to read. */
function described(matches: LinkMatch[]): string[] {
  return matches.map((m) => `${m.ordinal}->${m.referenceOrdinal ?? '-'} ${m.how}`);
}

describe('matchLinks', () => {
  test('the same content matches link for link by ordinal', () => {
    expect(described(matchLinks(links('a', 'b', 'c'), links('a', 'b', 'c')))).toEqual([
      '1->1 same-url-same-ordinal',
      '2->2 same-url-same-ordinal',
      '3->3 same-url-same-ordinal',
    ]);
  });

  test('reordered links follow their destination', () => {
    expect(described(matchLinks(links('a', 'b', 'c'), links('c', 'a', 'b')))).toEqual([
      '1->3 same-url-nearest-position',
      '2->1 same-url-nearest-position',
      '3->2 same-url-nearest-position',
    ]);
  });

  test('a link added at the top of the reference moves no match; the new link is matched by nothing', () => {
    // Older execution: a b c; the reference added n first.
    const matches = matchLinks(links('n', 'a', 'b', 'c'), links('a', 'b', 'c'));
    expect(described(matches)).toEqual([
      '1->2 same-url-nearest-position',
      '2->3 same-url-nearest-position',
      '3->4 same-url-nearest-position',
    ]);
  });

  test('a link the reference dropped is unmatched', () => {
    expect(described(matchLinks(links('a', 'c'), links('a', 'b', 'c')))).toEqual([
      '1->1 same-url-same-ordinal',
      '2->- unmatched',
      '3->2 same-url-nearest-position',
    ]);
  });

  test('two links to one destination stay two places, each matched to the nearest', () => {
    // Top and bottom "Shop" buttons; a new article was added between them in the reference.
    expect(described(matchLinks(links('shop', 'x', 'shop'), links('shop', 'x', 'y', 'shop')))).toEqual([
      '1->1 same-url-same-ordinal',
      '2->2 same-url-same-ordinal',
      '3->- unmatched',
      '4->3 same-url-nearest-position',
    ]);
    // Three copies against two: the one farthest from both is left.
    expect(described(matchLinks(links('s', 'q', 's'), links('s', 's', 'q', 's')))).toEqual([
      '1->1 same-url-same-ordinal',
      '2->3 same-url-nearest-position',
      '3->2 same-url-nearest-position',
      '4->- unmatched',
    ]);
  });

  test('a URL changed in place is matched by position and says so', () => {
    expect(described(matchLinks(links('home', 'week-2', 'help'), links('home', 'week-1', 'help')))).toEqual([
      '1->1 same-url-same-ordinal',
      '2->2 same-position-other-url',
      '3->3 same-url-same-ordinal',
    ]);
  });

  test('a destination found elsewhere is preferred over a changed URL in place', () => {
    // The reference moved "b" down and put "n" in its place: b follows b, n is new.
    expect(described(matchLinks(links('a', 'n', 'b'), links('a', 'b')))).toEqual([
      '1->1 same-url-same-ordinal',
      '2->3 same-url-nearest-position',
    ]);
  });

  test('parts are matched apart: a text link never matches an HTML one, and position counts within the part', () => {
    // One more HTML link moves the text link's ordinal, not its place among text links.
    expect(described(matchLinks(links('a', 'b', 't:c'), links('a', 't:c2')))).toEqual([
      '1->1 same-url-same-ordinal',
      '2->3 same-position-other-url',
    ]);
    expect(described(matchLinks(links('t:a'), links('a')))).toEqual(['1->- unmatched']);
  });

  test('no reference links, or no links: nothing to match', () => {
    expect(described(matchLinks([], links('a')))).toEqual(['1->- unmatched']);
    expect(matchLinks(links('a'), [])).toEqual([]);
  });

  test('any two link lists: every reference link is taken at most once, each match fits how it says it was made', () => {
    const list = fc
      .array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.constantFrom('html', 'text')), { maxLength: 12 })
      // HTML links come first, as ordinals are given.
      .map((items) => links(...items.sort((x, y) => (x[1] === y[1] ? 0 : x[1] === 'html' ? -1 : 1)).map(([u, p]) => (p === 'text' ? `t:${u}` : u))));
    fc.assert(
      fc.property(list, list, (reference, other) => {
        const matches = matchLinks(reference, other);
        expect(matches.map((m) => m.ordinal)).toEqual(other.map((l) => l.ordinal));
        const used = matches.flatMap((m) => (m.referenceOrdinal === null ? [] : [m.referenceOrdinal]));
        expect(new Set(used).size).toBe(used.length);
        for (const m of matches) {
          const link = other.find((l) => l.ordinal === m.ordinal)!;
          const to = reference.find((l) => l.ordinal === m.referenceOrdinal);
          if (m.how === 'unmatched') {
            // Unmatched only when no free reference link of its destination was left.
            expect(reference.some((r) => r.url === link.url && r.part === link.part && !used.includes(r.ordinal))).toBe(false);
            continue;
          }
          expect(to?.part).toBe(link.part);
          if (m.how === 'same-url-same-ordinal') expect([to?.url, to?.ordinal]).toEqual([link.url, link.ordinal]);
          if (m.how === 'same-url-nearest-position') expect(to?.url).toBe(link.url);
          if (m.how === 'same-position-other-url') expect(to?.url).not.toBe(link.url);
        }
      }),
    );
  });
});
