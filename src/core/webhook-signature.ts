/**
 * The signature of outgoing webhook deliveries: `Mailsight-Signature: t=<unix seconds>,v1=<hex>`, the
 * hex being HMAC-SHA256 of `<t>.<body>` keyed with the endpoint's secret (its text, as UTF-8). The
 * time in the signed text lets a receiver refuse a captured request replayed later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Mailsight-Signature';

/** What a receiver should accept between the signature's time and its own clock, in seconds. */
export const SIGNATURE_TOLERANCE_S = 300;

export function signatureOf(secret: string, body: string, unixSeconds: number): string {
  const hex = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${hex}`;
}

/**
 * What a receiver does: true when the header carries a v1 signature of this body by this secret,
 * made within `toleranceS` of `nowSeconds`.
 */
export function verifySignature(header: string, body: string, secret: string, nowSeconds: number, toleranceS = SIGNATURE_TOLERANCE_S): boolean {
  const fields = new Map<string, string[]>();
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at < 0) return false;
    const key = part.slice(0, at).trim();
    fields.set(key, [...(fields.get(key) ?? []), part.slice(at + 1).trim()]);
  }
  const t = fields.get('t')?.[0];
  if (!t || !/^[0-9]+$/.test(t) || Math.abs(nowSeconds - Number(t)) > toleranceS) return false;
  const expected = Buffer.from(signatureOf(secret, body, Number(t)).split('v1=')[1]!, 'hex');
  return (fields.get('v1') ?? []).some((hex) => /^[0-9a-f]{64}$/.test(hex) && timingSafeEqual(Buffer.from(hex, 'hex'), expected));
}
