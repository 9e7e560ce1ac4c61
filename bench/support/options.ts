/** Command-line options of the benchmark scripts: a bad one stops the script with exit status 2, naming it. */

export function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

export function positiveInteger(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) fail(`${name} must be a positive integer, got '${text}'`);
  return n;
}
