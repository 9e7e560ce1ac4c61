/**
 * Zod issues as the API says them: `path: what is wrong: value`, e.g.
 * `to[0]: not an email address: "bad@"`. Values are quoted as JSON and cut when long.
 */
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

/** Longest value shown in a message (characters of its JSON); longer ones are cut. */
const MAX_SHOWN_VALUE = 60;

/** The value as JSON, cut to MAX_SHOWN_VALUE characters; arrays by their length. */
function shown(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const json = JSON.stringify(value) ?? String(value);
  return json.length > MAX_SHOWN_VALUE ? `${json.slice(0, MAX_SHOWN_VALUE)}…` : json;
}

/** `to[0].email`; the root is `where` (the body, or a path parameter's name). */
function pathText(path: Path, where: string): string {
  if (path.length === 0) return where;
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};
const FORMAT_NAMES: Record<string, string> = { email: 'an email address', url: 'a URL' };

const typeName = (expected: string) => TYPE_NAMES[expected] ?? expected;
const oneOf = (values: readonly unknown[]) => values.map((v) => JSON.stringify(v)).join(', ');

/** One line per problem, each naming its field. */
export function describeIssues(issues: readonly Issue[], where: string, prefix: Path = []): string[] {
  return issues.flatMap((issue) => describeIssue(issue, where, [...prefix, ...issue.path]));
}

function describeIssue(issue: Issue, where: string, path: Path): string[] {
  const at = pathText(path, where);
  const input: unknown = issue.input;
  const line = (problem: string, value: unknown = input) => [value === undefined ? `${at}: ${problem}` : `${at}: ${problem}: ${shown(value)}`];
  switch (issue.code) {
    case 'invalid_type':
      return input === undefined ? [`${at}: missing`] : line(`not ${typeName(issue.expected)}`);
    case 'invalid_value':
      return line(issue.values.length === 1 ? `not ${JSON.stringify(issue.values[0])}` : `not one of ${oneOf(issue.values)}`);
    case 'invalid_format':
      // A pattern's own message says what it wants ("must be an enhanced status code such as 5.1.1").
      return line(issue.format === 'regex' ? issue.message : `not ${FORMAT_NAMES[issue.format] ?? `a valid ${issue.format}`}`);
    case 'too_big':
    case 'too_small':
      return line(sizeProblem(issue));
    case 'unrecognized_keys':
      return issue.keys.map((key) => `${at}: unknown key: ${JSON.stringify(key)}`);
    case 'invalid_key':
      return describeIssues(issue.issues as Issue[], where, path).map((text) => text.replace(/^([^:]*): /, '$1: key '));
    case 'invalid_element':
      return describeIssues(issue.issues as Issue[], where, path);
    case 'invalid_union':
      return describeUnion(issue, where, path);
    case 'not_multiple_of':
      return line(`not a multiple of ${String(issue.divisor)}`);
    case 'custom':
      return line(issue.message);
  }
}

function sizeProblem(issue: Extract<Issue, { code: 'too_big' | 'too_small' }>): string {
  const big = issue.code === 'too_big';
  const limit = big ? (issue as { maximum: number | bigint }).maximum : (issue as { minimum: number | bigint }).minimum;
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case 'string':
      if (!big && Number(limit) === 1) return 'empty';
      return big ? `longer than ${limit} characters` : `shorter than ${limit} characters`;
    case 'array':
    case 'set':
      return big ? `more than ${limit} items` : `fewer than ${limit} item${Number(limit) === 1 ? '' : 's'}`;
    default:
      if (big) return inclusive ? `more than ${limit}` : `not less than ${limit}`;
      return inclusive ? `less than ${limit}` : `not more than ${limit}`;
  }
}

/**
 * A union: the first branch that took the value's type says what is wrong with it (an email string
 * that is no email address); when no branch did, the value is none of the types they expect.
 */
function describeUnion(issue: Extract<Issue, { code: 'invalid_union' }>, where: string, path: Path): string[] {
  const at = pathText(path, where);
  if (issue.errors.length === 0) {
    // A discriminated union whose discriminator matched no option: the path names the discriminator.
    const note = issue as { discriminator?: string; options?: unknown[] };
    const value = note.discriminator && issue.input && typeof issue.input === 'object' ? (issue.input as Record<string, unknown>)[note.discriminator] : undefined;
    const options = note.options ? `one of ${oneOf(note.options)}` : 'a known kind';
    return [value === undefined ? `${at}: missing (${options})` : `${at}: not ${options}: ${shown(value)}`];
  }
  const typeMismatch = (branch: readonly Issue[]) => branch.length > 0 && branch.every((i) => i.code === 'invalid_type' && i.path.length === 0);
  const matched = issue.errors.find((branch) => !typeMismatch(branch));
  if (matched) return describeIssues(matched, where, path);
  const expected = issue.errors.map((branch) => typeName((branch[0] as { expected: string }).expected));
  return [`${at}: not ${expected.join(' or ')}: ${shown(issue.input)}`];
}
