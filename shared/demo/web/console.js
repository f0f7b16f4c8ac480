// The merchant console: runs a live room through uriba's merchant API. The merchant key is asked
// for once and kept in this tab's sessionStorage, never in the page.
import { request, newKey } from './api.js';
import { t, translate, languageSwitch } from './i18n.js';

const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

const products = [
  { productId: 'tea-sencha', name: 'Shizuoka sencha 100 g', price: '1200', currency: 'JPY' },
  { productId: 'tea-matcha', name: 'Uji matcha 40 g', price: '2800', currency: 'JPY' },
  { productId: 'cup-hagi', name: 'Hagi-yaki tea cup', price: '4500', currency: 'JPY' },
];
const nicknames = ['Mei', 'Ken', 'Lin', 'Hana', 'Yuki', 'Wei', 'Sora', 'Aoi'];

const session = {
  get key() { return sessionStorage.getItem('uriba.merchantKey'); },
  set key(v) { v ? sessionStorage.setItem('uriba.merchantKey', v) : sessionStorage.removeItem('uriba.merchantKey'); },
  get room() { return sessionStorage.getItem('uriba.room'); },
  set room(v) { sessionStorage.setItem('uriba.room', v); },
};
const auth = () => ({ key: session.key });
const roomPath = (suffix = '') => `/v1/rooms/${encodeURIComponent(session.room)}${suffix}`;

let room = null;
let push = null;
let reachable = true;

function say(e, ok = false) {
  const box = $('alert');
  if (!e) { box.hidden = true; return; }
  box.className = ok ? 'alert ok' : 'alert';
  box.textContent = e.title ? `${e.title}: ${e.detail || ''}` : String(e.message || e);
  box.hidden = false;
}

/** act runs a console action, showing its refusal (the problem's title and detail) or success. */
async function act(fn, done) {
  try {
    const r = await fn();
    say(done ? { title: t('done'), detail: done(r) } : null, true);
    await refresh();
    return r;
  } catch (e) {
    say(e);
    if (e.status === 401) showKeyForm();
    return undefined;
  }
}

function showKeyForm() {
  $('key-card').hidden = false;
  $('app').hidden = true;
  $('forget').hidden = true;
}

function showApp() {
  $('key-card').hidden = true;
  $('app').hidden = false;
  $('forget').hidden = false;
  if (session.room) openRoom(session.room);
}

async function openRoom(id) {
  session.room = id;
  push = null;
  $('push-out').hidden = true;
  $('push-start').disabled = $('push-stop').disabled = true;
  $('viewer-links').replaceChildren();
  $('summary-card').hidden = true;
  await refresh();
}

async function refresh() {
  if (!session.room || !session.key) return;
  try {
    room = await request('GET', roomPath(), { auth: auth() });
    if (!reachable) { reachable = true; say(null); }
  } catch (e) {
    if (e.code === 'network') { reachable = false; say(e); return; }
    if (e.status === 404) { $('room').hidden = true; say(e); sessionStorage.removeItem('uriba.room'); return; }
    say(e);
    return;
  }
  $('room').hidden = false;
  $('room-label').textContent = `${t('room')}: ${room.roomId}`;
  $('room-title').textContent = room.title;
  const pill = $('room-status');
  pill.dataset.status = room.status;
  pill.textContent = t(room.status);
  const s = room.stats ?? {}, sales = room.sales ?? {};
  $('s-viewers').textContent = s.viewers ?? 0;
  $('s-peak').textContent = s.peakViewers ?? 0;
  $('s-likes').textContent = s.likes ?? 0;
  $('s-messages').textContent = s.messages ?? 0;
  $('s-coins').textContent = sales.coins ?? 0;
  $('s-orders').textContent = sales.orders ?? 0;
  for (const b of document.querySelectorAll('.status-card button')) {
    const to = b.dataset.status;
    b.disabled = room.status === 'ended' || room.status === to || (to === 'paused' && room.status !== 'live');
  }
  $('pinned-now').textContent = room.product ? `📌 ${room.product.name} (${room.product.productId})` : '';
  for (const b of $('product-buttons').children) b.classList.toggle('go', b.dataset.product === room.product?.productId);
  $('unpin').disabled = !room.product;
  if (room.streamName) {
    try {
      const st = await request('GET', `/standin/streams/${encodeURIComponent(room.streamName)}`);
      $('stream-state').textContent = `${room.streamName}: ${st.online ? 'online' : 'offline'}${st.forbidden ? ', forbidden' : ''}`;
      $('push-stop').disabled = !st.online;
    } catch { $('stream-state').textContent = room.streamName; }
  }
  if (room.status === 'ended' && $('summary-card').hidden) showSummary();
}

async function loadGifts() {
  try {
    const r = await request('GET', '/v1/gifts');
    $('gift-list').textContent = (r.gifts ?? []).map((g) => `${g.name} (${g.giftId}) 🪙${g.price}`).join(' · ') || '—';
  } catch (e) { say(e); }
}

async function showSummary() {
  $('summary-card').hidden = false;
  try {
    const [sum, board, line] = await Promise.all([
      request('GET', roomPath('/summary'), { auth: auth() }),
      request('GET', roomPath('/leaderboard'), { auth: auth() }),
      request('GET', roomPath('/timeline'), { auth: auth() }),
    ]);
    const revenue = Object.entries(sum.revenue ?? {}).map(([c, a]) => `${a} ${c}`).join(', ') || '0';
    const cells = [
      [t('duration'), `${Math.floor((sum.durationSeconds ?? 0) / 60)}m ${(sum.durationSeconds ?? 0) % 60}s`],
      [t('peak'), sum.peakViewers], [t('likes'), sum.likes], [t('messages'), sum.messages],
      [t('gifts'), sum.gifts], [t('coins'), sum.coins], [t('orders'), sum.orders], [t('revenue'), revenue],
    ];
    $('summary').replaceChildren(...cells.map(([k, v]) => {
      const d = el('div');
      d.append(el('b', '', String(v ?? 0)), el('span', '', k));
      return d;
    }));
    $('leaderboard').replaceChildren(...(board.gifters ?? []).map((g) => el('li', '', `${g.userId} — 🪙${g.coins} (${g.gifts})`)));
    drawChart(line.points ?? []);
  } catch (e) { say(e); }
}

/** drawChart draws viewers and likes over time as two lines in a small SVG. */
function drawChart(points) {
  const box = $('chart');
  const W = 600, H = 160, P = 28;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H + 20}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', t('chart'));
  const legend = el('div', 'legend');
  if (points.length === 0) { box.replaceChildren(el('p', 'hint', '—')); return; }
  const t0 = Date.parse(points[0].at), t1 = Math.max(Date.parse(points.at(-1).at), t0 + 1);
  const x = (p) => P + ((Date.parse(p.at) - t0) / (t1 - t0)) * (W - 2 * P);
  const series = [['viewers', '#3b7ddd'], ['likes', '#e5195f']];
  for (const [key, color] of series) {
    const top = Math.max(1, ...points.map((p) => p[key]));
    const y = (p) => H - (p[key] / top) * (H - 16);
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute('points', points.map((p) => `${x(p).toFixed(1)},${y(p).toFixed(1)}`).join(' '));
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', color);
    line.setAttribute('stroke-width', '2.5');
    line.dataset.series = key;
    svg.append(line);
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', String(W - P + 4));
    label.setAttribute('y', String(y(points.at(-1)) + 4));
    label.setAttribute('font-size', '12');
    label.setAttribute('fill', color);
    label.textContent = String(points.at(-1)[key]);
    svg.append(label);
    const item = el('span');
    const sw = el('i');
    sw.style.background = color;
    item.append(sw, `${t(key)} (max ${top})`);
    legend.append(item);
  }
  const axis = document.createElementNS(ns, 'line');
  Object.entries({ x1: P, x2: W - P, y1: H, y2: H, stroke: '#ccc' }).forEach(([k, v]) => axis.setAttribute(k, String(v)));
  svg.prepend(axis);
  for (const [p, anchor] of [[points[0], 'start'], [points.at(-1), 'end']]) {
    const tx = document.createElementNS(ns, 'text');
    tx.setAttribute('x', String(x(p)));
    tx.setAttribute('y', String(H + 16));
    tx.setAttribute('font-size', '11');
    tx.setAttribute('fill', '#888');
    tx.setAttribute('text-anchor', anchor);
    tx.textContent = new Date(p.at).toLocaleTimeString();
    svg.append(tx);
  }
  box.replaceChildren(legend, svg);
}

const form = (id) => Object.fromEntries(new FormData($(id)).entries());
const hex = (n) => [...crypto.getRandomValues(new Uint8Array(n))].map((b) => b.toString(16).padStart(2, '0')).join('');

function wire() {
  $('key-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    session.key = $('key').value.trim();
    $('key').value = '';
    try {
      await request('GET', '/v1/rooms?status=live', { auth: auth() });
      say(null);
      showApp();
    } catch (err) {
      session.key = null;
      say(err);
    }
  });
  $('forget').addEventListener('click', () => { session.key = null; showKeyForm(); });
  $('create-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = form('create-form');
    if (!f.roomId) delete f.roomId;
    const r = await act(() => request('POST', '/v1/rooms', { auth: auth(), body: f }), (r) => `${t('room')} ${r.roomId}`);
    if (r) openRoom(r.roomId);
  });
  $('open-form').addEventListener('submit', (e) => {
    e.preventDefault();
    openRoom(form('open-form').roomId.trim());
  });
  for (const b of document.querySelectorAll('.status-card button')) {
    b.addEventListener('click', () => act(() => request('PUT', roomPath('/status'), { auth: auth(), body: { status: b.dataset.status } })));
  }
  $('notice-form').addEventListener('submit', (e) => {
    e.preventDefault();
    act(() => request('PUT', roomPath('/notice'), { auth: auth(), body: { notice: form('notice-form').notice } }));
  });
  const select = $('purchase-form').elements.productId;
  for (const p of products) {
    const b = el('button', '', `📌 ${p.name} ¥${p.price}`);
    b.type = 'button';
    b.dataset.product = p.productId;
    b.addEventListener('click', () => act(() => request('POST', roomPath('/products'), { auth: auth(), body: p })));
    $('product-buttons').append(b);
    select.add(new Option(p.name, p.productId));
  }
  $('unpin').addEventListener('click', () => act(() => request('DELETE', roomPath('/products/current'), { auth: auth() })));
  $('purchase-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const f = form('purchase-form');
    const p = products.find((x) => x.productId === f.productId);
    const quantity = Number(f.quantity);
    const body = { orderId: 'order-' + hex(6), userId: f.userId, productId: p.productId, productName: p.name, quantity, amount: String(Number(p.price) * quantity), currency: p.currency };
    act(() => request('POST', roomPath('/purchases'), { auth: auth(), body }), (r) => `${r.orderId}: ${r.userId} × ${r.quantity}`);
  });
  $('gift-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = form('gift-form');
    await act(() => request('POST', '/v1/gifts', { auth: auth(), body: { giftId: f.giftId, name: f.name, price: Number(f.price) } }), (r) => `${r.name} 🪙${r.price}`);
    loadGifts();
  });
  $('coins-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const f = form('coins-form');
    act(() => request('POST', `/v1/users/${encodeURIComponent(f.userId)}/coins`, { auth: auth(), body: { amount: Number(f.amount) }, idempotencyKey: newKey() }),
      (r) => `${r.userId}: 🪙${r.balance}`);
  });
  $('viewer-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const nick = form('viewer-form').nick.trim();
    const userID = 'viewer-' + hex(3);
    // A real app's own backend issues the viewer's UserSig at sign-in; here the console does.
    const sig = await act(() => request('POST', `/v1/users/${userID}/usersig`, { auth: auth(), body: { nick } }));
    if (!sig) return;
    const link = `/demo/viewer.html#room=${encodeURIComponent(session.room)}&user=${encodeURIComponent(userID)}&sig=${encodeURIComponent(sig.userSig)}&nick=${encodeURIComponent(nick)}`;
    const li = el('li');
    const a = el('a', '', `${nick} (${userID})`);
    a.href = link;
    a.target = '_blank';
    a.dataset.user = userID;
    li.append(a);
    $('viewer-links').append(li);
    $('coins-form').elements.userId.value = userID;
    $('purchase-form').elements.userId.value = userID;
    $('viewer-form').elements.nick.value = nicknames[Math.floor(Math.random() * nicknames.length)];
    window.open(link, '_blank');
  });
  $('push-url').addEventListener('click', async () => {
    push = await act(() => request('POST', roomPath('/push-url'), { auth: auth() }));
    if (!push) return;
    $('push-out').textContent = `RTMP  ${push.push.rtmp}\nWebRTC ${push.push.webrtc}\nSRT   ${push.push.srt}\n\nHLS   ${push.play.hls}`;
    $('push-out').hidden = false;
    $('push-start').disabled = false;
  });
  $('push-start').addEventListener('click', () => act(() => request('POST', `/standin/streams/${encodeURIComponent(push.streamName)}`, { body: { pushUrl: push.push.rtmp } })));
  $('push-stop').addEventListener('click', () => act(() => request('DELETE', `/standin/streams/${encodeURIComponent(room.streamName)}`)));
}

function start() {
  translate();
  languageSwitch($('lang'), refresh);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(location.hostname) || location.hostname.endsWith('.localhost');
  if (location.protocol !== 'https:' && !loopback) {
    say({ title: 'HTTPS', detail: t('insecure') });
    return;
  }
  $('viewer-form').elements.nick.value = nicknames[Math.floor(Math.random() * nicknames.length)];
  wire();
  loadGifts();
  if (session.key) showApp(); else showKeyForm();
  setInterval(() => { if (!document.hidden) refresh(); }, 2000);
}

window.addEventListener('unhandledrejection', (e) => { e.preventDefault(); say(e.reason); });
start();
