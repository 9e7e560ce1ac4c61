/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core (never a downloaded
 * browser), against a real listening server holding the demo's world (src/cli/demo-run.ts, a short
 * run) and a user to sign in with. Without /usr/bin/chromium the browser tests are skipped with a
 * loud message, except in CI, where that is a failure (as for PostgreSQL in databases.ts).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { runDemo, type DemoRun } from '../../src/cli/demo-run.js';

export const CHROMIUM = '/usr/bin/chromium';

const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/** The demo's contacts in the browser tests: enough for every fate the pages show (a complaint is the 32nd), few enough to seed in seconds. */
const TEST_CONTACTS = 36;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCREENSHOT_DIR = path.join(ROOT, 'test-artifacts', 'screenshots');
const DOCS_SCREENSHOT_DIR = path.join(ROOT, 'docs', 'screenshots');

/** The widths every page is photographed at: a laptop's and a phone's. */
export const VIEWPORTS = { laptop: { width: 1280, height: 800 }, phone: { width: 375, height: 812 } } as const;

/** Whether the browser tests can run here; throws in CI when Chromium is missing. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `Chromium is not installed at ${CHROMIUM} (Debian's package \`chromium\`; .ci/run installs it)`;
  if (process.env['CI']) throw new Error(`${message}: CI must run the browser tests`);
  console.warn(`\n*** SKIPPING BROWSER TESTS: ${message} ***\n`);
  return false;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
}

export interface SignIn {
  email: string;
  password: string;
}

export interface DashboardServer {
  demo: DemoRun;
  /** The server's URL, e.g. http://127.0.0.1:40123. */
  base: string;
  /** The admin user the tests sign in as. */
  user: SignIn;
  /** A JSON API call over HTTP with the demo's admin API key; throws on an answer of 400 or more. */
  api<T = any>(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

/**
 * A listening server (127.0.0.1, a free port) over a fresh SQLite file, holding the demo's recurring
 * newsletter (two issues, dynamic blocks, bounces, a complaint, people, Apple prefetches, a link
 * scanner, unsubscribes, report mail for review) and an admin user made through the users API.
 */
export async function startDashboardServer(): Promise<DashboardServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-browser-'));
  const demo = await runDemo({ contacts: TEST_CONTACTS, dataDir, port: 0, logLevel: 'silent' });
  const base = demo.base;
  const api: DashboardServer['api'] = async (method, url, body) => {
    const response = await fetch(base + url, {
      method,
      headers: { authorization: `Bearer ${demo.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${method} ${url}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const user = { email: 'ada@hillside-coffee.example', password: 'a long test password, 2026' };
  await api('POST', '/api/users', { email: user.email, name: 'Ada Lovelace', role: 'admin', password: user.password });
  return {
    demo,
    base,
    user,
    api,
    async close() {
      await demo.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Signs in through the sign-in form, as a person would, and waits for the page it leads to. */
export async function signInWithForm(page: Page, base: string, user: SignIn, next = '/'): Promise<void> {
  await page.goto(`${base}/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname !== '/sign-in');
  await pageLoaded(page);
}

/** Waits until the page shows its heading and nothing is loading any more. */
export async function pageLoaded(page: Page): Promise<void> {
  await expect.poll(() => page.getByRole('heading', { level: 1 }).count(), { timeout: 10_000 }).toBeGreaterThan(0);
  await expect.poll(() => page.getByText(/^\s*Loading .*…\s*$/).count(), { timeout: 10_000 }).toBe(0);
}

/** Every URL the page and its frames request from now on. */
export function recordRequests(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (request) => urls.push(request.url()));
  return urls;
}

/** The tracking endpoints of a server: the pixel, the links and unsubscribes. */
export function isTrackingUrl(url: string, base: string): boolean {
  const parsed = new URL(url);
  return parsed.origin === new URL(base).origin && /^\/(o|c|u)\//.test(parsed.pathname);
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown; failureSummary?: string }[];
}

/** Runs axe-core on the page as it is and fails, listing them, on any serious or critical violation. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  // page.evaluate runs through the DevTools protocol, which the page's Content-Security-Policy does not govern.
  // (The functions below run in the page: globalThis is its window; this project's types know no DOM.)
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    const inPage = globalThis as unknown as { axe: typeof axe; document: unknown };
    const result = await inPage.axe.run(inPage.document as Parameters<typeof axe.run>[0], { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
  const serious = (violations as AxeViolation[]).filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const described = serious.map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `    ${JSON.stringify(n.target)} ${n.failureSummary ?? ''}`).join('\n')}`);
  expect(described, `axe on the ${name} page`).toEqual([]);
}

/**
 * A full-page screenshot of the page at the laptop's and the phone's widths, into
 * test-artifacts/screenshots/; with UPDATE_SCREENSHOTS=1, also into docs/screenshots/ (the README's).
 * The viewport is the laptop's again afterwards.
 */
export async function saveScreenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const update = process.env['UPDATE_SCREENSHOTS'] === '1';
  if (update) mkdirSync(DOCS_SCREENSHOT_DIR, { recursive: true });
  for (const [width, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    // A layout settles (charts measure their box) in a frame or two after a resize.
    await page.waitForTimeout(150);
    const file = path.join(SCREENSHOT_DIR, `${name}-${width}.png`);
    await page.screenshot({ path: file, fullPage: true });
    if (update) copyFileSync(file, path.join(DOCS_SCREENSHOT_DIR, `${name}-${width}.png`));
  }
  await page.setViewportSize(VIEWPORTS.laptop);
}

/** A person's browser on a desktop, as the tracking endpoints see it. */
export const DESKTOP_CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36';

/** A click on a tracked link by a person at home (the server believes X-Forwarded-For from 127.0.0.1). */
export async function humanClick(trackedUrl: string, ip = '198.51.100.200'): Promise<number> {
  const response = await fetch(trackedUrl, { redirect: 'manual', headers: { 'user-agent': DESKTOP_CHROME, 'x-forwarded-for': ip, 'accept-language': 'en-GB,en;q=0.8' } });
  await response.arrayBuffer();
  return response.status;
}

/**
 * A test file's dashboard: a server over the demo's world, Chromium and one laptop-sized page, opened
 * before the file's tests and closed after them (call it in the file's describe). Its fields are set
 * once the tests run.
 */
export function dashboardForFile(): { server: DashboardServer; page: Page } {
  const opened = {} as { server: DashboardServer; page: Page; browser: Browser };
  beforeAll(async () => {
    [opened.server, opened.browser] = await Promise.all([startDashboardServer(), launchBrowser()]);
    opened.page = await (await opened.browser.newContext({ viewport: VIEWPORTS.laptop })).newPage();
  }, 90_000);
  afterAll(async () => {
    await opened.browser?.close();
    await opened.server?.close();
  });
  return opened;
}
