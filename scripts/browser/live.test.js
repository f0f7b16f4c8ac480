// A whole live in a real browser: a merchant runs the console and two viewers watch, and each
// step is checked on the pages the others see. It drives the dev server named by URIBA_DEMO_URL
// with the merchant key URIBA_DEMO_KEY (scripts/browser/run starts one on loopback).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const base = process.env.URIBA_DEMO_URL;
const key = process.env.URIBA_DEMO_KEY;
const shots = new URL('./screenshots/', import.meta.url).pathname;
const timeout = 10_000;

let browser, context;
const problems = []; // uncaught errors and console errors of every page

function watch(page, name) {
  page.on('pageerror', (e) => problems.push(`${name}: ${e.message}`));
  page.on('console', (m) => {
    // A failed request is logged by the browser itself; the pages show those as messages.
    if (m.type() === 'error' && !/Failed to load resource|net::ERR_/.test(m.text())) problems.push(`${name}: ${m.text()}`);
  });
  return page;
}

before(async () => {
  assert.ok(base && key, 'URIBA_DEMO_URL and URIBA_DEMO_KEY must name a running dev server');
  assert.match(new URL(base).hostname, /^(127\.0\.0\.1|localhost)$/, 'the tests drive only a dev server on loopback');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    headless: true,
  });
  context = await browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 900 } });
  context.setDefaultTimeout(timeout);
});

after(async () => {
  await browser?.close();
});

/** openViewer opens a viewer tab from the console and returns it with its user ID. */
async function openViewer(consolePage, nick) {
  await consolePage.fill('#viewer-form input[name=nick]', nick);
  const [page] = await Promise.all([context.waitForEvent('page'), consolePage.click('#viewer-form button')]);
  watch(page, nick);
  await page.setViewportSize({ width: 400, height: 800 });
  const userID = await consolePage.locator('#viewer-links a').last().getAttribute('data-user');
  await page.waitForLoadState('domcontentloaded');
  return { page, userID };
}

test('a merchant and two viewers run a whole live', async () => {
  const roomID = 'room-' + Date.now().toString(36);
  const merchant = watch(await context.newPage(), 'console');
  await merchant.goto(base + '/');

  // A wrong key is refused with the problem's words, and the right one is kept for the tab.
  await merchant.fill('#key', 'mk_wrong');
  await merchant.click('#key-form button');
  await merchant.locator('#alert', { hasText: 'Unauthorized' }).waitFor();
  await merchant.fill('#key', key);
  await merchant.click('#key-form button');
  const kept = await merchant.evaluate(() => sessionStorage.getItem('uriba.merchantKey'));
  assert.equal(kept, key, 'the key is not kept for the tab');
  assert.equal(await merchant.evaluate((k) => document.documentElement.outerHTML.includes(k), key), false, 'the key shows in the page');

  await merchant.fill('#create-form input[name=roomId]', roomID);
  await merchant.click('#create-form button');
  await merchant.locator('#room-status', { hasText: 'Starting soon' }).waitFor();

  // A refusal reads as the API's problem, not as a blank page.
  await merchant.fill('#create-form input[name=roomId]', roomID);
  await merchant.click('#create-form button');
  await merchant.locator('#alert', { hasText: 'Conflict' }).waitFor();

  const mei = await openViewer(merchant, 'Mei');
  await mei.page.locator('#title', { hasText: 'Spring tea sale' }).waitFor();
  const ken = await openViewer(merchant, 'Ken');
  await ken.page.locator('#title', { hasText: 'Spring tea sale' }).waitFor();

  // Join prompts carry the nickname; both count two viewers.
  await mei.page.locator('.toast', { hasText: 'Ken joined' }).waitFor();
  for (const v of [mei, ken]) await v.page.locator('#viewers', { hasText: '2' }).waitFor();

  // Going live shows on both viewers.
  await merchant.click('.status-card button[data-status=live]');
  for (const v of [mei, ken]) await v.page.locator('#status', { hasText: 'LIVE' }).waitFor();

  // The anchor's push: the placeholder follows the stream's state.
  await merchant.click('#push-url');
  await merchant.locator('#push-out', { hasText: 'rtmp://' }).waitFor();
  await merchant.click('#push-start');
  await ken.page.locator('#stream-state', { hasText: 'The anchor is streaming' }).waitFor();

  // Chat: a message reaches the other viewer with its sender's name; a moderated one is shown to
  // its sender as refused and never reaches the room.
  await mei.page.fill('#chat-input', 'Hello from Tokyo!');
  await mei.page.press('#chat-input', 'Enter');
  await ken.page.locator('#chat li', { hasText: 'Hello from Tokyo!' }).locator('.name', { hasText: 'Mei' }).waitFor();
  await mei.page.fill('#chat-input', '加微信 for a discount');
  await mei.page.press('#chat-input', 'Enter');
  await mei.page.locator('#chat li.refused', { hasText: 'Not sent' }).waitFor();
  await ken.page.fill('#chat-input', 'Looks great');
  await ken.page.press('#chat-input', 'Enter');
  await mei.page.locator('#chat li', { hasText: 'Looks great' }).waitFor();
  assert.equal(await ken.page.locator('#chat li', { hasText: '加微信' }).count(), 0, 'the moderated message reached another viewer');

  // Likes from both viewers add up to the room's total on every page.
  for (let i = 0; i < 3; i++) await mei.page.click('#like');
  for (let i = 0; i < 2; i++) await ken.page.click('#like');
  for (const v of [mei, ken]) await v.page.locator('#like-total', { hasText: /^5$/ }).waitFor({ timeout: 15_000 });
  await merchant.locator('#s-likes', { hasText: /^5$/ }).waitFor();

  // The announcement banner.
  await merchant.fill('#notice-form input[name=notice]', 'Free shipping on every order today!');
  await merchant.click('#notice-form button');
  for (const v of [mei, ken]) await v.page.locator('#notice', { hasText: 'Free shipping' }).waitFor();

  // A gift with a combo: the merchant adds it and tops up Mei, who sends it three times.
  await merchant.fill('#gift-form input[name=giftId]', 'rose');
  await merchant.fill('#gift-form input[name=name]', 'Rose');
  await merchant.fill('#gift-form input[name=price]', '10');
  await merchant.click('#gift-form button');
  await ken.page.locator('.toast', { hasText: 'New gift: Rose' }).waitFor();
  await merchant.fill('#coins-form input[name=userId]', mei.userID);
  await merchant.fill('#coins-form input[name=amount]', '100');
  await merchant.click('#coins-form button');
  await merchant.locator('#alert', { hasText: '100' }).waitFor();
  await mei.page.click('#gift-button');
  await mei.page.locator('#balance', { hasText: /^100$/ }).waitFor();
  for (let i = 0; i < 3; i++) await mei.page.click('#gift-grid button[data-gift=rose]');
  await ken.page.locator('.gift', { hasText: 'Mei' }).locator('.combo', { hasText: 'x3' }).waitFor();
  await mei.page.locator('#balance', { hasText: /^70$/ }).waitFor();
  // Ken has no coins: the refusal is readable.
  await ken.page.click('#gift-button');
  await ken.page.click('#gift-grid button[data-gift=rose]');
  await ken.page.locator('#alert', { hasText: 'Not enough coins' }).waitFor();
  await ken.page.click('#gift-button');

  // Pinning a product shows its card; pinning another changes it.
  await merchant.click('#product-buttons button[data-product=tea-sencha]');
  for (const v of [mei, ken]) await v.page.locator('#product-name', { hasText: 'Shizuoka sencha' }).waitFor();
  await merchant.click('#product-buttons button[data-product=tea-matcha]');
  for (const v of [mei, ken]) await v.page.locator('#product-name', { hasText: 'Uji matcha' }).waitFor();

  // A purchase from the shop's order system prompts every viewer.
  await merchant.fill('#purchase-form input[name=userId]', ken.userID);
  await merchant.selectOption('#purchase-form select', 'tea-matcha');
  await merchant.fill('#purchase-form input[name=quantity]', '2');
  await merchant.click('#purchase-form button');
  await mei.page.locator('.toast', { hasText: 'Ken bought Uji matcha 40 g ×2' }).waitFor();

  // The purchase's XP takes Ken to level 2: a prompt, then a badge by his name.
  await mei.page.locator('.toast', { hasText: 'Ken reached level Lv2' }).waitFor();
  await ken.page.fill('#chat-input', 'Just bought two!');
  await ken.page.press('#chat-input', 'Enter');
  await mei.page.locator('#chat li', { hasText: 'Just bought two!' }).locator('.badge', { hasText: 'Lv2' }).waitFor();

  await mei.page.click('#gift-button'); // closes the drawer
  await mei.page.screenshot({ path: shots + 'viewer.png' });

  // The end: viewers see it, the merchant gets the summary, leaderboard and chart.
  await merchant.click('.status-card button[data-status=ended]');
  for (const v of [mei, ken]) await v.page.locator('#ended').waitFor({ state: 'visible' });
  await merchant.locator('#summary-card').waitFor({ state: 'visible' });
  await merchant.locator('#leaderboard li', { hasText: `${mei.userID} — 🪙30` }).waitFor();
  await merchant.locator('#summary div', { hasText: 'likes' }).locator('b', { hasText: /^5$/ }).waitFor();
  await merchant.locator('#chart polyline[data-series=likes]').waitFor();
  await merchant.screenshot({ path: shots + 'console.png', fullPage: true });

  assert.deepEqual(problems, [], 'the pages logged errors');
});

test('a viewer link without a pass explains itself', async () => {
  const page = watch(await context.newPage(), 'stray viewer');
  await page.goto(base + '/demo/viewer.html#room=nowhere');
  await page.locator('#alert', { hasText: 'no viewer pass' }).waitFor();
  await page.close();
});

mkdirSync(shots, { recursive: true });

test('the console refuses to run over plain HTTP on another address', async () => {
  const page = watch(await context.newPage(), 'remote console');
  // The page is the dev server's, seen under a name that is not loopback.
  await page.route('http://shop.example/**', async (route) => {
    const res = await fetch(base + new URL(route.request().url()).pathname);
    const headers = Object.fromEntries([...res.headers].filter(([k]) => !/^content-(encoding|length)$/.test(k)));
    await route.fulfill({ status: res.status, headers, body: Buffer.from(await res.arrayBuffer()) });
  });
  await page.goto('http://shop.example/');
  await page.locator('#alert', { hasText: 'HTTPS' }).waitFor();
  assert.equal(await page.locator('#key-card').isVisible(), false, 'the key form is offered over plain HTTP');
  await page.close();
});
