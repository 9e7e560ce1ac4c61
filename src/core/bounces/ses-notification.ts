/**
 * Amazon SES notifications delivered by email (an SNS topic with an email subscription): the body is
 * the SES JSON (notificationType Bounce, Complaint, Delivery). SNS wraps and sometimes truncates long
 * lines, so the JSON is parsed when it can be and read field by field when it cannot.
 */

export interface SesRecipient {
  address: string;
  status: string | null;
  diagnostic: string | null;
  action: string | null;
}

export interface SesNotification {
  type: 'bounce' | 'complaint' | 'delivery';
  /** Permanent, Transient, Undetermined (bounces); the complaint's feedback type (complaints). */
  subtype: string | null;
  recipients: SesRecipient[];
  messageId: string | null;
  timestamp: string | null;
}

const NOTIFICATION_TYPE = /"(?:notificationType|eventType)"\s*:\s*"(Bounce|Complaint|Delivery)"/;

/** The notification in a mail body, or null when the body is not one. */
export function readSesNotification(text: string): SesNotification | null {
  // Wrapped in an SNS notification, the SES JSON is a string with its quotes escaped.
  const body = NOTIFICATION_TYPE.test(text) || !text.includes('\\"') ? text : text.replace(/\\(["\\/])/g, '$1');
  const typeMatch = NOTIFICATION_TYPE.exec(body);
  if (!typeMatch) return null;
  const type = typeMatch[1]!.toLowerCase() as SesNotification['type'];
  const listName = type === 'bounce' ? 'bouncedRecipients' : type === 'complaint' ? 'complainedRecipients' : 'recipients';
  const list = sliceArray(body, listName);
  const recipients: SesRecipient[] = [];
  if (type === 'delivery') {
    for (const match of list.matchAll(/"([^"\s]+@[^"\s]+)"/g)) recipients.push({ address: match[1]!.toLowerCase(), status: null, diagnostic: null, action: 'delivered' });
  } else {
    for (const object of list.split(/\}\s*,?\s*\{/)) {
      const address = stringField(object, 'emailAddress');
      if (!address) continue;
      recipients.push({ address: address.toLowerCase(), status: stringField(object, 'status'), diagnostic: stringField(object, 'diagnosticCode'), action: stringField(object, 'action') });
    }
  }
  const subtype = type === 'bounce' ? stringField(body, 'bounceType') : type === 'complaint' ? stringField(body, 'complaintFeedbackType') : null;
  const mailPart = body.slice(body.indexOf('"mail"') >>> 0);
  return { type, subtype, recipients, messageId: stringField(mailPart, 'messageId'), timestamp: stringField(body, 'timestamp') };
}

/** The text of a JSON array field up to its closing bracket (or the end of the text if it was cut). */
function sliceArray(text: string, name: string): string {
  const start = text.indexOf(`"${name}"`);
  if (start < 0) return '';
  const end = text.indexOf(']', start);
  return text.slice(start, end < 0 ? text.length : end);
}

/** A JSON string field, unescaped when possible. */
function stringField(text: string, name: string): string | null {
  const match = new RegExp(`"${name}"\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(text);
  if (!match) return null;
  try {
    return JSON.parse(`"${match[1]}"`) as string;
  } catch {
    return match[1]!;
  }
}
