/**
 * How a message's mailsight token rides through a provider and comes back in its webhooks: as a
 * custom argument named TOKEN_ARGUMENT (Postmark Metadata, Mailjet Payload or CustomID, Brevo's
 * X-Mailin-custom header or a tag). The token read back is unverified: the ingestion verifies it.
 */
import { MAX_TOKEN_LENGTH } from '../../core/tokens.js';
import { MAILSIGHT_TOKEN_ARGUMENT } from './provider.js';

/** The one name (provider.ts), as every provider's parser reads it. */
export const TOKEN_ARGUMENT = MAILSIGHT_TOKEN_ARGUMENT;

/** A token's alphabet (base64url, core/tokens.ts): anything else read back is not one of ours. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+$/;
/** `mailsight_token=TOKEN` or `mailsight_token:TOKEN` among other pairs (`;`, `&`, `,`, `|` or spaces between them). */
const TOKEN_PAIR = new RegExp(`(?:^|[\\s;&,|])${TOKEN_ARGUMENT}\\s*[=:]\\s*([A-Za-z0-9_-]+)`);

/** The token as a custom argument's value, or null when the value cannot be a token. */
export function tokenValue(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const token = value.trim();
  return token.length > 0 && token.length <= MAX_TOKEN_LENGTH && TOKEN_SHAPE.test(token) ? token : null;
}

/**
 * The token in a provider's free-text custom value: a JSON object with a TOKEN_ARGUMENT member, or
 * `mailsight_token=TOKEN` among other pairs. Null when absent.
 */
export function tokenInText(text: unknown): string | null {
  if (typeof text !== 'string' || !text.includes(TOKEN_ARGUMENT)) return null;
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
        return tokenValue((parsed as Record<string, unknown>)[TOKEN_ARGUMENT]);
      }
    } catch {
      // Not JSON after all: read it as pairs.
    }
  }
  return tokenValue(TOKEN_PAIR.exec(trimmed)?.[1]);
}
