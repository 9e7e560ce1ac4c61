/**
 * Which dynamic-content blocks a contact's attributes select. A block is marked in the HTML with a
 * `data-condition` label, and every link in it carries the innermost label around it (see
 * core/instrument). mailsight does not choose blocks when it renders (every message of an execution
 * carries the whole content; the sender's template engine has already chosen), so this is the one
 * reading of a label against attributes that reports use, stated here so that it can be checked:
 *
 * - `name:value` (split at the first colon; `region:eu`, `plan:premium`, `region:eu:loyal` is name
 *   `region`, value `eu:loyal`) selects a contact whose attribute `name` equals `value`, or holds it
 *   when the attribute is a list. Strings, numbers and booleans compare as text, ignoring case and
 *   surrounding spaces.
 * - a bare `name` (`vip`, `subscribers`) selects a contact whose attribute `name` is set (true, a
 *   non-zero number, a non-empty list, a string other than the FALSE_WORDS), or any of whose list
 *   attributes holds the label (`tags: ["vip"]`).
 *
 * Attribute names are looked up exactly, then ignoring case.
 */

/** Strings that say "no" for a bare label's attribute (`vip: "false"` as an export from a CSV would write it). */
const FALSE_WORDS = new Set(['', 'false', 'no', '0', 'off']);

type Attributes = Readonly<Record<string, unknown>>;

export function conditionSelected(label: string, attributes: Attributes): boolean {
  const colon = label.indexOf(':');
  if (colon < 0) return flagSet(attribute(attributes, label.trim())) || Object.values(attributes).some((value) => Array.isArray(value) && value.some((item) => same(item, label)));
  const value = attribute(attributes, label.slice(0, colon).trim());
  const wanted = label.slice(colon + 1);
  return Array.isArray(value) ? value.some((item) => same(item, wanted)) : same(value, wanted);
}

/** The labels among `labels` that `attributes` select. */
export function selectedConditions(labels: Iterable<string>, attributes: Attributes): Set<string> {
  const selected = new Set<string>();
  for (const label of labels) if (conditionSelected(label, attributes)) selected.add(label);
  return selected;
}

function attribute(attributes: Attributes, name: string): unknown {
  if (Object.hasOwn(attributes, name)) return attributes[name];
  const lower = name.toLowerCase();
  const key = Object.keys(attributes).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? undefined : attributes[key];
}

function scalarText(value: unknown): string | null {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value).trim().toLowerCase() : null;
}

function same(value: unknown, wanted: string): boolean {
  const text = scalarText(value);
  return text !== null && text === wanted.trim().toLowerCase();
}

function flagSet(value: unknown): boolean {
  if (value === true) return true;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'string') return !FALSE_WORDS.has(value.trim().toLowerCase());
  return Array.isArray(value) && value.length > 0;
}
