// Issue 10's browser test: the `npm start` demo (built, dist/services/embedded/main.js) with its
// console behind a token, and the dashboard opened in Debian's Chromium (playwright-core, no
// browser download). The page is loaded before anything happened and never reloaded, so every
// alert, promotion and recovery it shows came in over the live stream. It checks that the
// charts really drew (uPlot's data, and the version colours in the canvas pixels), that the
// token is enforced for the page, its assets and the API, that a reload draws the same history
// from the API alone, that a rollback clicked in the page
// comes back as the new champion, and that a lost stream shows the error banner. Screenshots
// go to test-output/ (gitignored).
//
// Needs `npm run build` first (the test refuses to start without dist/) and /usr/bin/chromium.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEMO = `${ROOT}dist/services/embedded/main.js`;
const PAGE = `${ROOT}dist/services/console/page/index.html`;
const SHOTS = `${ROOT}test-output`;
const CHROMIUM = '/usr/bin/chromium';
// The whole loop (drift at 20 s, alert, 15 s debounce, training, promotion, 400 labelled
// predictions of v2, verdict) takes about 90 s; the margin is for a loaded 2-core machine.
const LOOP_MS = 150_000;
// The performance charts draw v1 in the first colour and v2 in the second (charts.js VERSION_COLOURS).
const V1_COLOUR = [0x1f, 0x77, 0xb4];
const V2_COLOUR = [0xd6, 0x27, 0x28];

// What the page functions below touch in the browser (this project compiles without the DOM lib).
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
interface PageGlobals {
  document: { querySelectorAll(selector: string): Iterable<CanvasLike>; querySelector(selector: string): CanvasLike | null };
  /** The page's read-only hook (app.js). */
  driftwatch: { chartPoints(): Record<string, number> };
  loadedOnce?: boolean;
}

interface Demo {
  child: ChildProcess;
  /** The dashboard's origin, e.g. http://127.0.0.1:40123 */
  origin: string;
  output(): string;
  exited: Promise<number | string>;
}

/** Starts the built demo with its console on a free port behind `token`; resolves once it prints the dashboard URL. */
function startDemo(token: string): Promise<Demo> {
  const child = spawn(process.execPath, [DEMO], {
    cwd: ROOT,
    env: {
      ...process.env,
      DW_MODE: 'embedded',
      DW_CONSOLE_PORT: '0',
      DW_CONSOLE_TOKEN: token,
      // The app keeps predicting 40 s after the verdict (new windows keep arriving for the
      // "still live" check), then the dashboard stays up until the test sends SIGINT.
      DEMO_TAIL: '40',
      DEMO_SERVE: '1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "dashboard:" line within 60 s:\n${output}`)), 60_000);
    const look = (): void => {
      const match = /dashboard: (https?:\/\/\S+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', look);
      resolve({ child, origin: new URL(match[1]!).origin, output: () => output, exited });
    };
    child.stdout!.on('data', look);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the demo exited before printing the dashboard URL:\n${output}`));
    });
  });
}

/** Pixels of `colour` (±12 per channel) in every canvas matching `selector`, read in the page. */
async function pixelsOfColour(page: Page, selector: string, colour: number[]): Promise<number> {
  return page.evaluate(
    ({ selector, colour }) => {
      let n = 0;
      for (const canvas of (globalThis as unknown as PageGlobals).document.querySelectorAll(selector)) {
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3]! > 200 && Math.abs(data[i]! - colour[0]!) < 12 && Math.abs(data[i + 1]! - colour[1]!) < 12 && Math.abs(data[i + 2]! - colour[2]!) < 12) n++;
        }
      }
      return n;
    },
    { selector, colour },
  );
}

/** Heatmap pixels coloured as a verdict (saturated: green below the threshold through red past it), not grey, white or text. */
async function heatmapVerdictPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    const canvas = (globalThis as unknown as PageGlobals).document.querySelector('canvas.heatmap');
    if (!canvas) return 0;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = [data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!];
      if (a > 200 && Math.max(r, g, b) - Math.min(r, g, b) > 40) n++;
    }
    return n;
  });
}

describe('the dashboard in a browser, on the live demo', () => {
  const token = randomBytes(12).toString('hex');
  let demo: Demo;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(DEMO) || !existsSync(PAGE)) throw new Error(`${DEMO} or ${PAGE} is missing: run \`npm run build\` first`);
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package`);
    mkdirSync(SHOTS, { recursive: true });
    demo = await startDemo(token);
    browser = await chromium.launch({ executablePath: CHROMIUM });
    page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  });

  afterAll(async () => {
    await browser?.close();
    if (demo && demo.child.exitCode === null && demo.child.signalCode === null) {
      demo.child.kill('SIGINT');
      await demo.exited;
    }
  });

  it('refuses the page, its assets, the API and the event stream without the token', async () => {
    for (const path of ['/', '/assets/app.js', '/assets/uPlot.iife.min.js', '/api/models', '/api/config', '/api/events']) {
      const bare = await fetch(`${demo.origin}${path}`);
      expect(bare.status, path).toBe(401);
      expect((await bare.json()) as { error: string }, path).toHaveProperty('error');
      const wrong = await fetch(`${demo.origin}${path}?token=not-${token}`);
      expect(wrong.status, path).toBe(401);
      await wrong.body?.cancel();
    }
    const withHeader = await fetch(`${demo.origin}/api/models`, { headers: { Authorization: `Bearer ${token}` } });
    expect(withHeader.status).toBe(200);
    await withHeader.body?.cancel();
    // In the browser: without the token the page itself is refused.
    const refused = await page.goto(`${demo.origin}/`);
    expect(refused?.status()).toBe(401);
    expect(await page.textContent('body')).toContain('token');
    // Only a wrong token: the page's own HTML is refused as well (every path needs the token).
    const wrong = await page.goto(`${demo.origin}/?token=not-${token}`);
    expect(wrong?.status()).toBe(401);
  });

  it('follows drift → alert → retrain → promoted v2 → recovery live, with charts that drew', async () => {
    const started = Date.now();
    const response = await page.goto(`${demo.origin}/?token=${token}`);
    expect(response?.status()).toBe(200);
    await page.waitForSelector('#live.up', { timeout: 20_000 });
    // A mark that a reload or navigation would erase: everything below arrives over SSE.
    await page.evaluate(() => void ((globalThis as unknown as PageGlobals).loadedOnce = true));
    expect(await page.locator('#alerts tr[data-alert-key]').count()).toBe(0);
    await page.screenshot({ path: `${SHOTS}/dashboard-start.png`, fullPage: true });

    await page.waitForSelector('#alerts tr[data-status="FIRING"]', { timeout: LOOP_MS });
    const alertAfterS = (Date.now() - started) / 1000;
    await page.screenshot({ path: `${SHOTS}/dashboard-alert.png`, fullPage: true });

    await page.waitForSelector('#versions tr[data-version="2"][data-champion="true"][data-status="PROMOTED"]', { timeout: LOOP_MS });
    expect(await page.textContent('#model-summary')).toContain('champion v2');
    expect(await page.getAttribute('#versions tr[data-version="1"]', 'data-champion')).toBeNull();

    await page.waitForSelector('#incidents article.incident[data-status="RECOVERED"] li.step.done[data-step="verification"]', { timeout: LOOP_MS });
    const recoveredAfterS = (Date.now() - started) / 1000;
    const chain = await page.locator('#incidents article.incident[data-status="RECOVERED"] li.step').evaluateAll((steps) =>
      steps.map((s) => `${s.getAttribute('data-step')}:${s.className.replace('step ', '')}`),
    );
    expect(chain).toEqual(['trigger:done', 'diagnosis:done', 'retrain:done', 'verification:done']);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).loadedOnce)).toBe(true);

    // Charts hold data (uPlot's own arrays) and drew it: both versions' colours are in the pixels.
    const points = await page.evaluate(() => (globalThis as unknown as PageGlobals).driftwatch.chartPoints());
    expect(Object.keys(points).sort()).toEqual(['30s', '5s']);
    for (const [horizon, n] of Object.entries(points)) expect(n, horizon).toBeGreaterThan(10);
    expect(await pixelsOfColour(page, '#performance-charts canvas', V1_COLOUR)).toBeGreaterThan(50);
    expect(await pixelsOfColour(page, '#performance-charts canvas', V2_COLOUR)).toBeGreaterThan(50);
    expect(await heatmapVerdictPixels(page)).toBeGreaterThan(500);
    const barWidths = await page.locator('#distribution .bar').evaluateAll((bars) => bars.map((b) => b.getBoundingClientRect().width));
    expect(barWidths.length).toBeGreaterThanOrEqual(4);
    expect(barWidths.filter((w) => w > 5).length).toBeGreaterThanOrEqual(2);

    // Still live: new windows keep arriving and the charts grow without a reload.
    const total = (p: Record<string, number>): number => Object.values(p).reduce((a, b) => a + b, 0);
    const before = total(points);
    await page.waitForFunction(
      (n) => Object.values((globalThis as unknown as PageGlobals).driftwatch.chartPoints()).reduce((a, b) => a + b, 0) > n,
      before,
      { timeout: 20_000 },
    );
    await page.screenshot({ path: `${SHOTS}/dashboard-recovered.png`, fullPage: true });
    console.info(`dashboard: first alert after ${alertAfterS.toFixed(1)} s, recovery verified after ${recoveredAfterS.toFixed(1)} s`);
    expect(recoveredAfterS).toBeLessThan(LOOP_MS / 1000);
  });

  it('draws the same history after a reload, from the API alone', async () => {
    const live = await page.evaluate(() => (globalThis as unknown as PageGlobals).driftwatch.chartPoints());
    await page.reload();
    await page.waitForSelector('#versions tr[data-version="2"][data-champion="true"]', { timeout: 15_000 });
    await page.waitForSelector('#incidents article.incident[data-status="RECOVERED"]', { timeout: 15_000 });
    const loaded = await page.evaluate(() => (globalThis as unknown as PageGlobals).driftwatch.chartPoints());
    // The API holds every window the stream delivered (and maybe a few newer ones).
    for (const [horizon, n] of Object.entries(live)) expect(loaded[horizon], horizon).toBeGreaterThanOrEqual(n);
    expect(await pixelsOfColour(page, '#performance-charts canvas', V2_COLOUR)).toBeGreaterThan(50);
    expect(await heatmapVerdictPixels(page)).toBeGreaterThan(500);
    expect(await page.locator('#alerts tr[data-status="FIRING"]').count()).toBeGreaterThan(0);
  });

  it('rolls the model back from the versions table, through the API and back over SSE', async () => {
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#versions button[data-rollback="1"]');
    // A rollback is a ROLLED_BACK event of the version rolled back to, which becomes champion.
    await page.waitForSelector('#versions tr[data-version="1"][data-champion="true"][data-status="ROLLED_BACK"]', { timeout: 15_000 });
    expect(await page.getAttribute('#versions tr[data-version="2"]', 'data-champion')).toBeNull();
    expect(await page.textContent('#notice')).toContain('champion is now v1');
    expect(await page.textContent('#model-summary')).toContain('champion v1');
    const models = (await (await fetch(`${demo.origin}/api/models`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { models: { champion: string }[] };
    expect(models.models[0]!.champion).toBe('1');
  });

  it('shows the error banner when the live stream is lost', async () => {
    expect(await page.isHidden('#banner')).toBe(true);
    demo.child.kill('SIGINT');
    await demo.exited;
    await page.waitForSelector('#banner:not([hidden])', { timeout: 15_000 });
    expect(await page.textContent('#banner')).toContain('live updates lost');
    expect(await page.textContent('#live')).toContain('reconnecting');
    await page.screenshot({ path: `${SHOTS}/dashboard-disconnected.png`, fullPage: true });
  });
});
