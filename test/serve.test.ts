/** `mailsight serve` as a user starts it: the compiled CLI in a child process, its log read. */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const CLI = path.resolve('dist/src/cli.js');

/** Starts `serve`, stops it (SIGTERM) once it says it is serving, and returns every line it logged. */
async function serveLog(env: Record<string, string>): Promise<{ msg: string; level: number }[]> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-serve-'));
  const child = spawn(process.execPath, [CLI, 'serve'], { env: { ...process.env, DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  try {
    // 'close' comes once the process has exited and its output has been read to the end.
    const closed = new Promise((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('"msg":"mailsight serving"')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
      setTimeout(() => reject(new Error(`serve did not start: ${output}`)), 20_000);
    });
    child.kill('SIGTERM');
    await closed;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  return output
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

const WARN = 40;

describe('mailsight serve', () => {
  // The quiet cases (PUBLIC_URL set, HOST local) are in src/cli/serve.test.ts.
  it('warns at start when it listens on every interface while its links point at localhost', async () => {
    const lines = await serveLog({ HOST: '0.0.0.0' });
    expect(lines.filter((l) => l.level === WARN).map((l) => l.msg)).toEqual([
      expect.stringMatching(/^PUBLIC_URL is http:\/\/localhost:0 while the server listens on 0\.0\.0\.0: the tracking links in messages will point at localhost/),
    ]);
  });
});
