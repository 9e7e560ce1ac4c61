/** The dashboard's pages and assets as the server gives them: pages only to a session, assets to anyone. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { webRoutes } from '../src/adapters/http/web-routes.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mailsight-web-'));
mkdirSync(path.join(dir, 'assets'));
writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>shell</title>');
writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');

async function server(signedIn: boolean, webDir = dir) {
  const app = Fastify();
  // The guard of the real server (access.ts requirePageSession) is tested with sessions in access.test.ts.
  const guard = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!signedIn) await reply.redirect(`/sign-in?next=${encodeURIComponent(request.url)}`, 303);
  };
  await app.register(webRoutes, { guard, dir: webDir });
  return app;
}

describe('web routes', () => {
  const apps: Awaited<ReturnType<typeof server>>[] = [];
  afterAll(async () => Promise.all(apps.map((a) => a.close())));

  it('sends a browser without a session to sign in, keeping where it was going', async () => {
    const app = await server(false);
    apps.push(app);
    for (const url of ['/', '/campaigns/3?execution=4', '/contacts/9', '/settings']) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(303);
      expect(response.headers.location).toBe(`/sign-in?next=${encodeURIComponent(url)}`);
    }
    const signIn = await app.inject({ url: '/sign-in' });
    expect(signIn.statusCode).toBe(200);
    expect(signIn.body).toContain('<title>shell</title>');
  });

  it('serves pages to a session with a policy that runs only its own scripts and is never framed', async () => {
    const app = await server(true);
    apps.push(app);
    const response = await app.inject({ url: '/campaigns/3' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('serves built assets to anyone, cached for good, and nothing outside the assets directory', async () => {
    const app = await server(false);
    apps.push(app);
    const asset = await app.inject({ url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toContain('text/javascript');
    expect(asset.headers['cache-control']).toContain('immutable');
    for (const url of ['/assets/../index.html', '/assets/%2e%2e%2findex.html', '/assets/.hidden', '/assets/missing.js']) {
      expect((await app.inject({ url })).statusCode, url).toBe(404);
    }
  });

  it('says how to build the dashboard when it is not built', async () => {
    const app = await server(true, path.join(dir, 'nowhere'));
    apps.push(app);
    const response = await app.inject({ url: '/' });
    expect(response.statusCode).toBe(503);
    expect(response.body).toContain('npm run build');
  });
});
