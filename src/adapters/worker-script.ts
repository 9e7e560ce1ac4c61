/**
 * Where the compiled script of a worker thread is. Threads always run compiled code from dist/; under
 * the test runner the module starting them runs from its TypeScript source, so the script is looked
 * up at the same place under dist/.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled `script` that sits beside the module at `moduleUrl` (its import.meta.url). */
export function compiledWorkerScript(moduleUrl: string, script: string): string {
  const here = fileURLToPath(moduleUrl);
  if (!here.endsWith('.ts')) return path.join(path.dirname(here), script);
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  return path.join(root, 'dist', path.relative(root, path.dirname(here)), script);
}

/** Why `thread` cannot start from `script`, or null when the script is there. */
export function missingWorkerScript(script: string, thread: string): string | null {
  return existsSync(script) ? null : `${thread} runs compiled code, and ${script} is missing: run \`npm run build\``;
}
