/** `mailsight instrument`: what tracking does to a template, offline, with a throwaway key. */
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { instrument } from '../core/instrument/index.js';
import { Keyring } from '../core/tokens.js';
import { messageUrls } from '../app/tracking-urls.js';

const EXAMPLE_MESSAGE_ID = 1;

export async function instrumentCommand(positionals: string[], values: { text?: string; json?: boolean; 'base-url'?: string; honeypot?: boolean }): Promise<number> {
  const [htmlFile] = positionals;
  if (!htmlFile && !values.text) {
    console.error('mailsight instrument: give an HTML file (and/or --text <file.txt>)');
    return 2;
  }
  const html = htmlFile ? await readFile(htmlFile, 'utf8') : null;
  const text = values.text ? await readFile(values.text, 'utf8') : null;
  const keyring = new Keyring([{ id: 1, secret: randomBytes(32) }]);
  const urls = messageUrls(keyring, values['base-url'] ?? 'https://track.example.com', EXAMPLE_MESSAGE_ID);
  const result = instrument({ html, text }, { trackOpens: true, trackClicks: true, rewriteText: true, honeypot: values.honeypot ?? false }, urls);

  if (values.json) {
    const out: Record<string, unknown> = {
      html: result.html,
      pixel: result.pixel,
      links: result.links.map((l) => ({ ordinal: l.ordinal, url: l.url, raw: l.raw, tracked: l.tracked, text: l.text, part: l.part, condition: l.condition })),
    };
    if (text !== null) out['text'] = result.text;
    if (result.honeypot) out['honeypot'] = result.honeypot;
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return 0;
  }
  console.log(`${result.links.length} link occurrence(s); pixel ${result.pixel ? 'inserted' : 'not inserted'}`);
  for (const l of result.links) {
    console.log(`  ${String(l.ordinal).padStart(3)}  ${l.part.padEnd(4)}  ${l.condition ? `[${l.condition}] ` : ''}${l.url}${l.text ? `  "${l.text}"` : ''}`);
  }
  return 0;
}
