/**
 * Provider webhook requests signed as the providers sign them, for tests that post them to a server:
 * an Amazon SNS Notification carrying an SES event (SignatureVersion 2, SHA256withRSA over SNS's
 * "Key\nValue\n" pairs), a SendGrid Event Webhook batch (ECDSA P-256 over timestamp + body), and a
 * Mailgun event (HMAC-SHA256 of timestamp + token, in the body beside the event).
 */
import { createHmac, randomBytes, sign, type KeyObject } from 'node:crypto';

export interface SnsSigning {
  topicArn: string;
  /** Where the server fetches the certificate of `key` (an SNS host's .pem URL). */
  certUrl: string;
  key: KeyObject;
}

/** The signed fields of an SNS Notification, in the order SNS signs them (Subject is left out). */
const SNS_NOTIFICATION_FIELDS = ['Message', 'MessageId', 'Timestamp', 'TopicArn', 'Type'] as const;

/** An SNS Notification of `event` (an SES event or notification), published at `at` (epoch ms), as the body SNS posts. */
export function snsNotification(event: object, snsMessageId: string, at: number, signing: SnsSigning): string {
  const envelope: Record<string, string> = {
    Type: 'Notification',
    MessageId: snsMessageId,
    TopicArn: signing.topicArn,
    Message: JSON.stringify(event),
    Timestamp: new Date(at).toISOString(),
    SignatureVersion: '2',
    SigningCertURL: signing.certUrl,
  };
  const signed = SNS_NOTIFICATION_FIELDS.map((field) => `${field}\n${envelope[field]}\n`).join('');
  envelope['Signature'] = sign('sha256', Buffer.from(signed), signing.key).toString('base64');
  return JSON.stringify(envelope);
}

/** A SendGrid Event Webhook request for `events`, signed at `at` (epoch ms): its headers and body. */
export function sendGridBatch(events: readonly object[], at: number, key: KeyObject): { headers: Record<string, string>; payload: string } {
  return sendGridSigned(JSON.stringify(events), at, key);
}

/** A SendGrid Event Webhook request whose body is `payload` as given (a malformed one, say), signed at `at`. */
export function sendGridSigned(payload: string, at: number, key: KeyObject): { headers: Record<string, string>; payload: string } {
  const timestamp = String(Math.floor(at / 1000));
  const signature = sign('sha256', Buffer.from(timestamp + payload), key).toString('base64');
  return {
    headers: { 'content-type': 'application/json', 'x-twilio-email-event-webhook-signature': signature, 'x-twilio-email-event-webhook-timestamp': timestamp },
    payload,
  };
}

/** A Mailgun webhook request for one event, signed at `at` (epoch ms) with a fresh token: its headers and body. */
export function mailgunSigned(eventData: object, at: number, signingKey: string): { headers: Record<string, string>; payload: string } {
  const timestamp = String(Math.floor(at / 1000));
  const token = randomBytes(25).toString('hex');
  const signature = createHmac('sha256', signingKey).update(timestamp + token).digest('hex');
  return { headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ signature: { timestamp, token, signature }, 'event-data': eventData }) };
}
