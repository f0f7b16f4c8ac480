// Measures the demo's first load in Chromium: bytes transferred and the time until each page is
// interactive (the console's key form shown; the viewer's room read and its controls wired).
//   URIBA_DEMO_URL=http://127.0.0.1:8080 URIBA_DEMO_KEY=mk_… node measure.js
import { chromium } from 'playwright-core';

const base = process.env.URIBA_DEMO_URL;
const key = process.env.URIBA_DEMO_KEY;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], headless: true });

async function load(url, ready) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  let bytes = 0, requests = 0;
  cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; requests++; });
  const start = Date.now();
  await page.goto(url);
  await ready(page);
  const tti = Date.now() - start;
  await page.waitForLoadState('networkidle').catch(() => {});
  await context.close();
  return { bytes, requests, tti };
}

const r = await (await fetch(base + '/v1/rooms', { method: 'POST', headers: { Authorization: 'Bearer ' + key }, body: JSON.stringify({ title: 'Measure', anchorId: 'anchor-m' }) })).json();
const sig = await (await fetch(`${base}/v1/users/measure-1/usersig`, { method: 'POST', headers: { Authorization: 'Bearer ' + key }, body: '{"nick":"M"}' })).json();
const consoleLoad = await load(base + '/', (p) => p.locator('#key-card').waitFor());
const viewerLoad = await load(`${base}/demo/viewer.html#room=${r.roomId}&user=measure-1&sig=${encodeURIComponent(sig.userSig)}`, (p) => p.locator('#title', { hasText: 'Measure' }).waitFor());
console.log(JSON.stringify({ console: consoleLoad, viewer: viewerLoad }));
await browser.close();
