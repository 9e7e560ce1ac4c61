/**
 * Recipients of a non-standard bounce, read from its human text: the addresses it names, each with the
 * lines that speak of it. Whatever the MTA (qmail's "<a@b>:" paragraphs, Exim's indented address and
 * its SMTP error, sendmail's "550 <a@b>... User unknown", Exchange's "a@b on <date>", providers'
 * sentences), a failed recipient is an address written in the report, and what happened to it is
 * said on its lines and the lines after them, up to the next recipient.
 */

export interface TextRecipient {
  address: string;
  /** The lines about this recipient, joined: from its first mention, up to the next recipient's lines. */
  text: string;
}

/** An address as bounces write it; the domain needs a dot, which skips "user@localhost" noise and message ids' right sides rarely matter. */
const ADDRESS = /(?<![\w.+\-=/])[\w.+\-=/!#$%&'*?^`{|}~]*[\w\-+=]@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)+/gi;

/** Local parts of the reporting system's own mailboxes, which a report names but never as a failed recipient. */
const SYSTEM_LOCAL_PART = /^(?:mailer-daemon|postmaster|mail-daemon|maildaemon|daemon|root|abuse|noreply|no-reply|bounces?|nobody|mdaemon|hostmaster|webmaster|support)$/i;

/** Text just before an address that makes it the sender, an alias the recipient came from, or a reference: not a recipient. */
const NOT_A_RECIPIENT_BEFORE = /(?:(?:generated|expanded) from:?\s*<?|mail from:?\s*<?|from[=:]\s*<?|sender[=:]?\s*<?|envelope-from\s*<?|return-path:?\s*<?|reply-to:?\s*<?|message-id[=:]?\s*<?|\bid\s*<?|errors-to:?\s*<?|mailto:|contact\s+<?|please (?:contact|write to|email)\s+<?|https?:\/\/\S*)$/i;

/** Recipients read from one text at most: real reports name a few; this bounds the work on hostile input. */
const MAX_TEXT_RECIPIENTS = 1000;

export interface TextRecipientOptions {
  /** Addresses known not to be recipients (the bounce's own To and From, the original sender). */
  exclude: ReadonlySet<string>;
}

/** The recipients named in a report text, in the order of their first mention, each with its lines. */
/**
 * A line that quotes a header field of the returned message ("  To:      a@b", Exchange's "Your
 * message ... To:"): its address is the message's, named as a recipient only when nothing else is.
 */
const QUOTED_FIELD_LINE = /^\s*(?:to|cc|bcc|from|sender|reply-to|sent|date)\s*:/i;

export function findTextRecipients(report: string, options: TextRecipientOptions): TextRecipient[] {
  const lines = report.split('\n');
  let lineAddresses: string[][] = lines.map((line) => recipientAddressesIn(line, options.exclude));
  const outsideQuotedFields = lineAddresses.map((addresses, i) => (QUOTED_FIELD_LINE.test(lines[i]!) ? [] : addresses));
  if (outsideQuotedFields.some((addresses) => addresses.length > 0)) lineAddresses = outsideQuotedFields;
  const seen = new Set<string>();
  const order: string[] = [];
  for (const addresses of lineAddresses) {
    for (const address of addresses) {
      if (seen.has(address) || order.length >= MAX_TEXT_RECIPIENTS) continue;
      seen.add(address);
      order.push(address);
    }
  }
  if (order.length === 0) return [];
  if (order.length === 1) {
    const first = lineAddresses.findIndex((addresses) => addresses.length > 0);
    return [{ address: order[0]!, text: lines.slice(first).join('\n') }];
  }

  const own = new Map<string, string[]>(order.map((address) => [address, []]));
  let owner: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const addresses = lineAddresses[i]!.filter((address) => own.has(address));
    if (addresses.length > 0) owner = addresses.length === 1 || owner === null || !addresses.includes(owner) ? addresses[0]! : owner;
    for (const address of addresses) if (address !== owner) own.get(address)!.push(lines[i]!);
    if (owner) own.get(owner)!.push(lines[i]!);
  }
  return order.map((address) => ({ address, text: own.get(address)!.join('\n') }));
}

function recipientAddressesIn(line: string, exclude: ReadonlySet<string>): string[] {
  if (!line.includes('@')) return [];
  const found: string[] = [];
  ADDRESS.lastIndex = 0;
  for (let match = ADDRESS.exec(line); match; match = ADDRESS.exec(line)) {
    const address = match[0].replace(/^[^\w]+/, '').toLowerCase();
    const local = address.slice(0, address.indexOf('@'));
    if (SYSTEM_LOCAL_PART.test(local) || exclude.has(address) || found.includes(address)) continue;
    if (NOT_A_RECIPIENT_BEFORE.test(line.slice(Math.max(0, match.index - 40), match.index))) continue;
    found.push(address);
  }
  return found;
}
