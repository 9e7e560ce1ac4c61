import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { instrument, type InstrumentResult, type PlanOptions } from './index.js';
import {
  assertSameStructure,
  numbered,
  occurrences,
  restoreOriginal,
  summarize,
  trackingUrls,
  withoutNotrack,
} from './test-support.js';

function fixture(name: string): string {
  return readFileSync(resolve(process.cwd(), 'test/fixtures/html', name), 'utf8');
}

const ALL_ON: PlanOptions = { trackClicks: true, trackOpens: true, honeypot: true };

/**
 * Instruments `html` and checks the invariants every fixture must keep: the
 * output is the input outside the reported edits, each link's tracked value
 * sits in the output and its raw value in the input, and the output has the input's elements and
 * attributes apart from the edits.
 */
function instrumentChecked(html: string, options: PlanOptions = ALL_ON): InstrumentResult {
  const result = instrument({ html }, options, trackingUrls);
  const output = result.html ?? '';
  expect(restoreOriginal(output, result, 'html')).toBe(withoutNotrack(html));
  for (const link of result.links) {
    expect(html).toContain(link.raw);
    expect(output).toContain(link.tracked);
    expect(html).not.toContain(link.tracked);
  }
  if (options.trackOpens) expect(occurrences(output, result.pixel ?? '<missing>')).toBe(1);
  assertSameStructure(html, output, result);
  return result;
}

describe('fixtures', () => {
  test('Outlook message: VML button pair shares one ordinal, other MSO links are their own', () => {
    const html = fixture('outlook-vml-buttons.html');
    const result = instrumentChecked(html);
    const statement = 'https://online.northwind-bank.example/statements/2024-03?src=email&c=spring';
    expect(summarize(result)).toEqual(numbered([
      { url: 'https://www.northwind-bank.example/?utm_source=statement&utm_medium=email', text: 'Northwind Bank', condition: null },
      { url: statement, text: 'View statement', condition: null },
      { url: 'https://help.northwind-bank.example/outlook-buttons', text: 'Read our Outlook tips', condition: null },
      { url: 'https://online.northwind-bank.example/autopay', text: 'Set up AutoPay', condition: null },
      { url: 'https://online.northwind-bank.example/autopay', text: 'Set up AutoPay', condition: null },
      { url: 'https://www.northwind-bank.example/privacy', text: 'Privacy', condition: null },
      { url: 'https://www.northwind-bank.example/preferences?id=8842', text: 'Email preferences', condition: null },
    ]));
    const button = result.links[1];
    expect(button?.raw).toBe('https://online.northwind-bank.example/statements/2024-03?src=email&amp;c=spring');
    // Written in the VML shape and in the <a> that other clients show.
    expect(occurrences(result.html ?? '', `href="${button?.tracked}"`)).toBe(2);
    // The pixel goes before </body>, the honeypot right after <body ...>.
    expect(result.html).toContain(`${result.pixel}</body>`);
    expect(result.html).toContain(`<body style="margin:0;padding:0;background-color:#f3f4f6;">${result.honeypot?.markup}`);
  });

  test('MJML layout: image links take the alt text, Outlook table wrappers are harmless', () => {
    const result = instrumentChecked(fixture('mjml-layout.html'));
    expect(summarize(result)).toEqual(numbered([
      { url: 'https://linen-and-loom.example/spring?utm_source=newsletter&utm_campaign=spring24', text: 'Spring collection: linen shirts on a clothes line', condition: null },
      { url: 'https://linen-and-loom.example/spring/new-in?utm_source=newsletter&utm_campaign=spring24', text: 'new-in collection', condition: null },
      { url: 'https://linen-and-loom.example/spring/sale?code=MEMBER20', text: 'Shop the sale', condition: null },
      { url: 'https://www.instagram.com/linenandloom', text: 'Instagram', condition: null },
      { url: 'https://www.pinterest.com/linenandloom/', text: 'Pinterest', condition: null },
      { url: 'https://linen-and-loom.example/account/email?u=51c2', text: 'Manage preferences', condition: null },
      { url: 'https://linen-and-loom.example/unsubscribe?u=51c2&l=weekly', text: 'Unsubscribe', condition: null },
    ]));
    // <link href> to a font is not a link occurrence.
    expect(result.html).toContain('<link href="https://fonts.googleapis.com/css?family=Ubuntu:300,400,500,700"');
  });

  test('Mailchimp template: merge tags in hrefs are left for the platform to fill in', () => {
    const html = fixture('mailchimp-merge-tags.html');
    const result = instrumentChecked(html);
    expect(summarize(result)).toEqual(numbered([
      { url: 'https://crumb-and-co.example/workshops?utm_source=Crumb+%26+Co&utm_campaign=2d4f1a9c7e-autumn&utm_medium=email', text: 'all workshops', condition: null },
      { url: 'https://blog.crumb-and-co.example/2024/09/hydration-explained', text: 'hydration explainer', condition: null },
      { url: 'https://crumb-and-co.example/members/early-access', text: 'claim your seat', condition: null },
    ]));
    for (const tag of ['*|ARCHIVE|*', '*|UPDATE_PROFILE|*', '*|UNSUB|*', 'r/*|REFERRAL_CODE|*', 'mc_eid=*|UNIQID|*']) {
      expect(result.html).toContain(tag);
    }
  });

  test('transactional receipt: mailto, tel, relative and fragment links stay as they are', () => {
    const result = instrumentChecked(fixture('transactional-receipt.html'));
    expect(summarize(result)).toEqual(numbered([
      { url: 'https://parcelpost.example/account/orders/48213?ref=receipt', text: 'view order', condition: null },
      { url: 'https://parcelpost.example/products/ethiopia-guji-natural', text: 'Ethiopia Guji Natural, 250 g', condition: null },
      { url: 'https://parcelpost.example/products/paper-filters-02#reviews', text: 'V60 paper filters (100)', condition: null },
      { url: 'https://tools.usps.example/go/TrackConfirmAction?tLabels=9400111899560000000000', text: '9400 1118 9956 0000 0000 00', condition: null },
      { url: 'https://parcelpost.example/legal/terms', text: 'Terms', condition: null },
      { url: 'https://parcelpost.example/legal/privacy', text: 'Privacy', condition: null },
    ]));
    for (const kept of ['href="/account/billing"', 'href="mailto:orders@parcelpost.example?subject=Order%20%2348213"', 'href="tel:+18005550199"', 'href="#top"']) {
      expect(result.html).toContain(kept);
    }
  });

  test('transactional receipt with its text part: text links follow the HTML links', () => {
    const html = fixture('transactional-receipt.html');
    const text = fixture('transactional-receipt.txt');
    const result = instrument({ html, text }, ALL_ON, trackingUrls);
    expect(restoreOriginal(result.text ?? '', result, 'text')).toBe(text);
    expect(restoreOriginal(result.html ?? '', result, 'html')).toBe(html);
    const textLinks = result.links.filter((link) => link.part === 'text');
    expect(textLinks.map(({ ordinal, url }) => ({ ordinal, url }))).toEqual([
      'https://parcelpost.example/account/orders/48213?ref=receipt',
      'https://parcelpost.example/products/ethiopia-guji-natural',
      'https://tools.usps.example/go/TrackConfirmAction?tLabels=9400111899560000000000',
      'https://parcelpost.example/help/shipping',
      'https://parcelpost.example/legal/terms',
      'https://parcelpost.example/legal/privacy',
      'https://parcelpost.example/help/returns',
    ].map((url, index) => ({ ordinal: 7 + index, url })));
    expect(result.text).toContain('(https://t.mailsight.test/c/8/s1gn4ture)   $38.00');
    expect(result.text).toContain('<https://t.mailsight.test/c/9/s1gn4ture>.');
    expect(result.text).toContain('notifications?u={{ user.id }}');
    expect(result.text).toContain('"https://t.mailsight.test/c/13/s1gn4ture".');
  });

  test('CRLF line endings survive, in a committed file and in a generated string', () => {
    const html = fixture('crlf-line-endings.html');
    expect(html).toContain('\r\n');
    expect(html.replace(/\r\n/g, '')).not.toContain('\n');
    const result = instrumentChecked(html);
    expect(summarize(result)).toEqual(numbered([
      { url: 'https://docs.harbor-labs.example/notes/2024-05-14?view=edit&tab=2', text: 'shared folder', condition: null },
      { url: 'https://harbor-labs.example/roadmap', text: 'harbor-labs.example/roadmap', condition: null },
    ]));
    expect(result.html?.replace(/\r\n/g, '')).not.toContain('\n');

    const generated = ['<html>', '<body>', '<p>Line one</p>', '<a', '  href="https://crlf.example/a"', '>A</a>', '</body>', '</html>', ''].join('\r\n');
    const again = instrumentChecked(generated);
    expect(again.html?.split('\r\n')).toHaveLength(generated.split('\r\n').length);
  });

  test('uppercase, unquoted, single-quoted, glued and multi-line attributes', () => {
    const result = instrumentChecked(fixture('uppercase-legacy.html'));
    expect(summarize(result)).toEqual(numbered([
      { url: 'http://www.hardware-depot.example/specials?week=21', text: "This week's specials", condition: null },
      { url: 'http://www.hardware-depot.example/p/drill-18v', text: '18V, two batteries', condition: null },
      { url: 'https://www.hardware-depot.example/p/hose-50ft', text: '50 ft, kink-free', condition: null },
      { url: 'https://www.hardware-depot.example/p/paint?sku=PNT-1&color=white', text: 'Interior white, 1 gal', condition: null },
      { url: 'https://www.hardware-depot.example/p/ladder-6ft', text: '6 ft step ladder', condition: null },
      { url: 'http://www.hardware-depot.example/stores/north', text: 'North store', condition: null },
      { url: 'http://www.hardware-depot.example/stores/south', text: 'South store', condition: null },
      { url: 'HTTP://WWW.HARDWARE-DEPOT.EXAMPLE/optout?e=3391', text: 'click here', condition: null },
    ]));
    const output = result.html ?? '';
    expect(output).toContain('<A HREF=https://t.mailsight.test/c/1/s1gn4ture><IMG');
    expect(output).toContain("<A HREF='https://t.mailsight.test/c/2/s1gn4ture'>");
    expect(output).toContain('<A STYLE="color:#CC0000"HREF="https://t.mailsight.test/c/4/s1gn4ture">');
    expect(output).toContain('<A\tHREF = "https://t.mailsight.test/c/5/s1gn4ture" >');
    expect(output).toContain('HREF=https://t.mailsight.test/c/7/s1gn4ture ALT="South store">');
  });

  test('broken nesting: unclosed, misnested and cut-off markup', () => {
    const html = fixture('broken-nesting.html');
    const result = instrumentChecked(html);
    expect(summarize(result)).toEqual(numbered([
      { url: 'https://ferris-bikes.example/new-store', text: 'See the new location', condition: null },
      { url: 'https://ferris-bikes.example/map', text: 'Open the map', condition: null },
      { url: 'https://ferris-bikes.example/outer', text: 'outer', condition: null },
      { url: 'https://ferris-bikes.example/inner', text: 'inner', condition: null },
      { url: 'https://ferris-bikes.example/service', text: 'Book a service', condition: null },
      { url: 'https://ferris-bikes.example/last', text: 'last link', condition: null },
    ]));
    // The only </body> is inside a comment, so the pixel goes at the end, but before the tag left
    // unterminated there: after it, the pixel would be read as that tag's attributes.
    expect(result.html?.endsWith(`</div>\n${result.pixel}<a href="https://ferris-bikes.example/unterminated"\n`)).toBe(true);
    expect(result.html).toContain('<a href="https://ferris-bikes.example/old">old</a> </body> -->');
  });

  test('entities in URLs are decoded for the destination and kept in the output', () => {
    const result = instrumentChecked(fixture('entities-in-urls.html'));
    expect(summarize(result)).toEqual(numbered([
      { url: 'https://cafe-lumiere.example/menu?lang=fr&season=winter', text: 'Voir le menu d\u2019hiver', condition: null },
      { url: 'https://cafe-lumiere.example/book?party=2&time=19%3A30', text: 'Book a table for two', condition: null },
      { url: 'https://cafe-lumiere.example/gift?from=newsletter&amount=25', text: 'Gift cards', condition: null },
      // `&copy` followed by `=` is not a character reference inside an attribute.
      { url: 'https://cafe-lumiere.example/search?q=cr%C3%AApe&sort=new&copy=1', text: 'Cr\u00eapes & more', condition: null },
      { url: 'https://cafe-lumiere.example/encoded-scheme', text: 'Encoded scheme', condition: null },
      { url: 'https://cafe-lumiere.example/events#"jazz"', text: 'Jazz night', condition: null },
      { url: 'https://caf\u00e9-lumi\u00e8re.example/idn', text: 'Accented host', condition: null },
    ]));
    expect(result.links.map((link) => link.raw)).toContain('https://cafe-lumiere.example/book?party=2&#38;time=19%3A30');
    expect(result.html).toContain('href="&#123;&#123;unsubscribe_url&#125;&#125;"');
  });

  test('dynamic content: links carry the innermost data-condition, including inside MSO blocks', () => {
    const html = fixture('dynamic-content.html');
    const result = instrumentChecked(html);
    expect(summarize(result)).toEqual(numbered([
      { url: 'https://travelnest.example/deals', text: 'All deals', condition: null },
      { url: 'https://travelnest.example/deals/europe', text: 'European city breaks', condition: 'region:eu' },
      { url: 'https://travelnest.example/deals/europe/members', text: 'Members-only fares', condition: 'region:eu:loyal' },
      { url: 'https://travelnest.example/lounges', text: 'Lounge passes', condition: 'region:eu:loyal' },
      { url: 'https://travelnest.example/deals/europe/trains', text: 'Rail passes', condition: 'region:eu' },
      { url: 'https://travelnest.example/deals/california', text: 'California coast', condition: 'region:us:ca' },
      { url: 'https://travelnest.example/deals/us', text: 'US road trips', condition: 'region:us' },
      { url: 'https://travelnest.example/vip/outlook', text: 'VIP desk (Outlook)', condition: 'segment:vip' },
      { url: 'https://travelnest.example/vip', text: 'VIP desk', condition: 'segment:vip' },
      { url: 'https://travelnest.example/help', text: 'Help centre', condition: null },
    ]));
    expect(occurrences(result.html ?? '', 'data-condition=')).toBe(occurrences(html, 'data-condition='));
  });

  test('data-notrack, excluded destinations and placeholders', () => {
    const html = fixture('notrack-and-exclusions.html');
    const result = instrumentChecked(html, {
      ...ALL_ON,
      excludedDestinations: ['greenleaf-affiliates.example', 'https://docs.greenleaf.example/legal'],
      placeholderPatterns: [/\{\$[a-z_]+\}/g],
    });
    expect(summarize(result)).toEqual(numbered([
      { url: 'https://greenleaf.example/seeds', text: 'Seed catalogue', condition: null },
      { url: 'https://docs.greenleaf.example/legalese', text: 'Legalese, explained', condition: null },
      { url: 'https://greenleaf.example/calendar', text: 'Planting calendar', condition: null },
    ]));
    const output = result.html ?? '';
    expect(output).not.toMatch(/data-notrack/i);
    expect(output).toContain('<p><a href="https://greenleaf.example/blog/compost">Compost guide</a></p>');
    expect(output).toContain('<p><a href="https://greenleaf.example/blog/worms">Worm bins</a></p>');
    expect(output).toContain('<p><a href="https://greenleaf.example/shop">Shop</a></p>');
  });

  test('a 500 KB newsletter keeps every byte and every link', () => {
    const block = fixture('newsletter-block.html');
    const blocks: string[] = [];
    let size = 0;
    for (let index = 1; size < 500 * 1024; index += 1) {
      const filled = block.replace(/__N__/g, String(index));
      blocks.push(filled);
      size += filled.length;
    }
    const html = `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>The Weekly Ledger, issue 318</title></head>\n` +
      `<body>\n<table width="600" align="center" cellpadding="0" cellspacing="0">\n${blocks.join('')}</table>\n</body>\n</html>\n`;
    const started = performance.now();
    const result = instrumentChecked(html);
    expect(performance.now() - started).toBeLessThan(5_000);
    // Per story: cover image, headline, comments, share; the mailto is not tracked.
    expect(result.links).toHaveLength(blocks.length * 4);
    expect(summarize(result).slice(0, 4)).toEqual(numbered([
      { url: 'https://the-weekly-ledger.example/stories/1?utm_source=newsletter&utm_medium=email&utm_campaign=issue-318', text: 'Cover photo for story 1', condition: null },
      { url: 'https://the-weekly-ledger.example/stories/1?utm_source=newsletter&utm_medium=email&utm_campaign=issue-318', text: 'Harbour towns bet on tidal power, story 1', condition: null },
      { url: 'https://the-weekly-ledger.example/stories/1#comments', text: 'Comments', condition: null },
      { url: 'https://twitter.example/intent/tweet?url=https%3A%2F%2Fthe-weekly-ledger.example%2Fstories%2F1&text=Harbour%20towns', text: 'Share', condition: null },
    ]));
    expect(result.links.at(-1)?.ordinal).toBe(blocks.length * 4);
  });
});
