// The viewer page: a live room as a viewer's app shows it. IM goes through im.js (the Web SDK's
// calls), everything else through uriba's HTTP API.
import TIM from './im.js';
import { request, newKey } from './api.js';
import { t, translate, languageSwitch } from './i18n.js';

const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

// The viewer's pass (user ID, UserSig, nickname) comes in the link's fragment once and is kept in
// this tab's sessionStorage, so that a reload keeps it and the UserSig leaves the address bar.
const params = new URLSearchParams(location.hash.slice(1));
const roomID = params.get('room') ?? '';
const passKey = 'uriba.viewer.' + roomID;
if (params.get('sig')) {
  sessionStorage.setItem(passKey, JSON.stringify({ userID: params.get('user'), userSig: params.get('sig'), nick: params.get('nick') ?? '' }));
  history.replaceState(null, '', '#room=' + encodeURIComponent(roomID));
}
const pass = JSON.parse(sessionStorage.getItem(passKey) || 'null');
const me = pass?.userID;
const auth = pass && { userID: pass.userID, userSig: pass.userSig };

const state = { status: 'created', viewers: 0, likes: 0, product: null, streamName: '', ended: false, balance: 0, gifts: [] };
const levels = new Map(); // user ID → level, from LEVEL_UP
const names = new Map(); // user ID → nickname, from messages and tips
const pending = new Map(); // random → text of this viewer's messages on their way

/** showAlert shows e for a few seconds, or until the next alert when it is to stay. */
function showAlert(e, stay = false) {
  const box = $('alert');
  if (!e) { box.hidden = true; return; }
  box.textContent = e.title ? `${e.title}: ${e.detail || ''}` : String(e.message || e);
  box.hidden = false;
  clearTimeout(showAlert.timer);
  if (!stay) showAlert.timer = setTimeout(() => { box.hidden = true; }, 6000);
}

const nameOf = (id, nick) => {
  if (nick) names.set(id, nick);
  return id === me ? t('you') : names.get(id) || id;
};

function badge(id) {
  const lv = levels.get(id);
  return lv ? el('span', 'badge', `${t('level')}${lv}`) : null;
}

function chatLine(parts, cls) {
  const list = $('chat');
  const li = el('li', cls);
  li.append(...parts.filter(Boolean));
  list.append(li);
  while (list.children.length > 80) list.firstChild.remove();
  list.scrollTop = list.scrollHeight;
  return li;
}

function toast(text, cls = '') {
  const box = $('toasts');
  const n = el('div', 'toast ' + cls, text);
  box.append(n);
  while (box.children.length > 3) box.firstChild.remove();
  setTimeout(() => n.remove(), 4000);
}

function render() {
  const pill = $('status');
  pill.dataset.status = state.status;
  pill.textContent = t(state.status);
  $('viewers').textContent = state.viewers;
  $('like-total').textContent = state.likes;
  $('balance').textContent = state.balance;
  $('ended').hidden = !state.ended;
  const p = state.product;
  $('product').hidden = !p;
  if (p) {
    $('product-name').textContent = p.name || p.productId;
    $('product-price').textContent = price(p.salePrice || p.price, p.currency);
    const img = $('product-img');
    img.textContent = '🛍';
    if (p.imageUrl?.startsWith('https://')) {
      const i = new Image();
      i.alt = '';
      i.src = p.imageUrl;
      i.onerror = () => { img.textContent = '🛍'; };
      img.replaceChildren(i);
    }
  }
}

function price(amount, currency) {
  try { return new Intl.NumberFormat(document.documentElement.lang, { style: 'currency', currency }).format(Number(amount)); } catch { return `${amount} ${currency ?? ''}`; }
}

function applyFields(fields) {
  for (const { key, value } of fields ?? []) {
    if (key === 'room_status' && value) {
      state.status = value;
      if (value === 'ended') state.ended = true;
      refreshStream();
    }
    if (key === 'LIKE_TOTAL') state.likes = Number(value) || 0;
    if (key === 'ADD_GOODS') {
      try { state.product = value ? JSON.parse(value) : null; } catch { state.product = null; }
    }
  }
}

function applyNotice(text) {
  $('notice').hidden = !text;
  $('notice-text').textContent = text ?? '';
}

async function readRoom() {
  const { data } = await im.getGroupProfile({ groupID: roomID });
  const g = data.group;
  $('title').textContent = g.name || roomID;
  document.title = (g.name || roomID) + ' · uriba live';
  $('host-avatar').textContent = (g.name || '売').slice(0, 1);
  state.viewers = g.memberCount ?? 0;
  state.product = null;
  applyFields(g.groupCustomField);
  applyNotice(g.notification);
  render();
}

async function refreshStream() {
  try {
    if (!state.streamName) {
      const r = await request('GET', `/v1/rooms/${encodeURIComponent(roomID)}/play-url`, { auth });
      state.streamName = r.streamName;
      const list = $('play-urls');
      list.replaceChildren(...Object.entries(r.play ?? {}).map(([k, v]) => el('li', '', `${k}: ${v}`)));
      $('play').hidden = false;
    }
    const s = await request('GET', `/standin/streams/${encodeURIComponent(state.streamName)}`);
    $('stage').dataset.online = String(!!s.online);
    $('stream-state').textContent = s.online ? t('streamOnline') : s.forbidden ? t('streamForbidden') : t('streamOffline');
  } catch (e) {
    if (e.status !== 404) showAlert(e);
  }
}

async function refreshBalance() {
  try {
    const r = await request('GET', `/v1/users/${encodeURIComponent(me)}/coins`, { auth });
    state.balance = r.balance;
    render();
  } catch (e) { showAlert(e); }
}

async function loadGifts() {
  try {
    const r = await request('GET', '/v1/gifts');
    state.gifts = r.gifts ?? [];
  } catch (e) { showAlert(e); }
  const grid = $('gift-grid');
  grid.replaceChildren(...state.gifts.map((g) => {
    const b = el('button');
    b.type = 'button';
    b.dataset.gift = g.giftId;
    b.append(el('span', 'g-icon', giftIcon(g)), el('span', '', g.name), el('span', 'g-price', `🪙${g.price}`));
    b.addEventListener('click', () => sendGift(g));
    return b;
  }));
}

const icons = { rose: '🌹', heart: '💖', rocket: '🚀', cake: '🎂', crown: '👑', star: '⭐', car: '🏎', diamond: '💎' };
const giftIcon = (g) => icons[g.giftId] ?? '🎁';

async function sendGift(g) {
  try {
    const r = await request('POST', `/v1/rooms/${encodeURIComponent(roomID)}/gifts`, { auth, body: { giftId: g.giftId, count: 1 }, idempotencyKey: newKey() });
    state.balance = r.balance;
    render();
  } catch (e) {
    showAlert(e.code === 'insufficient_coins' ? { title: t('notEnough'), detail: e.detail } : e);
    refreshBalance();
  }
}

// Gift banners: one per sender and gift, its combo bumped while the combo goes on.
function showGift(entry, nick) {
  const key = entry.userId + '/' + entry.giftId;
  const box = $('gift-fx');
  let banner = [...box.children].find((b) => b.dataset.key === key);
  if (!banner) {
    banner = el('div', 'gift');
    banner.dataset.key = key;
    const who = el('div', 'who');
    who.append(el('b', '', nameOf(entry.userId, nick)), el('br'), el('span', '', `${t('sent')} ${entry.name}`));
    banner.append(el('span', 'icon', giftIcon(entry)), who, el('span', 'combo'));
    box.append(banner);
    while (box.children.length > 2) box.firstChild.remove();
  }
  const combo = banner.querySelector('.combo');
  combo.textContent = `x${entry.combo || entry.count || 1}`;
  combo.classList.remove('bump');
  void combo.offsetWidth;
  combo.classList.add('bump');
  clearTimeout(banner.timer);
  banner.timer = setTimeout(() => banner.remove(), 3500);
}

function floatHearts(n) {
  const box = $('hearts');
  for (let i = 0; i < Math.min(n, 6); i++) {
    const h = el('span', 'heart', '♥');
    h.style.setProperty('--dx', `${Math.round(Math.random() * 40 - 20)}px`);
    h.style.animationDelay = `${i * 90}ms`;
    h.style.color = `hsl(${330 + Math.random() * 40} 100% 60%)`;
    box.append(h);
    setTimeout(() => h.remove(), 1800 + i * 90);
  }
}

function onCustom(m, { data, extension }) {
  let ext = {};
  try { ext = extension ? JSON.parse(extension) : {}; } catch { /* a prompt without JSON */ }
  switch (data) {
    case 'LIKE':
      if (m.from !== me) floatHearts(Number(ext.n ?? ext.count ?? 1) || 1);
      break;
    case 'SEND_GIFT':
      for (const g of ext.merged ? ext.gifts ?? [] : [ext]) {
        showGift(g, g.userId === m.from ? m.nick : '');
        // A combo shows in its banner; the chat names the gift once.
        if ((g.combo ?? 1) <= 1 || ext.merged) chatLine([badge(g.userId), el('span', 'name', nameOf(g.userId, g.userId === m.from ? m.nick : '')), el('span', 'system', `${t('sent')} ${g.name} ×${g.count ?? 1}`)]);
      }
      if (ext.userId === me || ext.gifts?.some((g) => g.userId === me)) refreshBalance();
      break;
    case 'BUY_GOODS':
      toast(`🛒 ${nameOf(ext.userId ?? m.from, m.nick)} ${t('bought')} ${ext.name ?? ext.productId ?? ''} ×${ext.quantity ?? 1}`);
      break;
    case 'LEVEL_UP':
      levels.set(ext.userId, ext.level);
      toast(`⬆ ${nameOf(ext.userId)} ${t('levelUp')} ${t('level')}${ext.level}`, 'level');
      break;
    case 'NEW_GIFT':
      toast(`🎁 ${t('newGift')}: ${ext.name ?? ext.giftId}`);
      loadGifts();
      break;
    case 'LIVE_ENDED':
      state.ended = true;
      state.status = 'ended';
      render();
      break;
  }
}

function onTip(m, p) {
  if (p.operationType === TIM.TYPES.GRP_TIP_MBR_JOIN || p.operationType === TIM.TYPES.GRP_TIP_MBR_QUIT) {
    const joined = p.operationType === TIM.TYPES.GRP_TIP_MBR_JOIN;
    const members = p.memberList?.length ? p.memberList : (p.userIDList ?? []).map((userID) => ({ userID }));
    state.viewers = Math.max(0, state.viewers + (joined ? members.length : -members.length));
    for (const mb of members) {
      if (mb.userID !== me) toast(`${nameOf(mb.userID, mb.nick)} ${t(joined ? 'joined' : 'left')}`, 'join');
    }
  }
  if (p.operationType === TIM.TYPES.GRP_TIP_GRP_PROFILE_UPDATED) {
    const g = p.newGroupProfile ?? {};
    if ('notification' in g) applyNotice(g.notification);
    if ('name' in g) $('title').textContent = g.name;
    applyFields(g.groupCustomField);
  }
  render();
}

function onMessage(m) {
  if (m.type === TIM.TYPES.MSG_TEXT) {
    const line = chatLine([badge(m.from), el('span', 'name', nameOf(m.from, m.nick)), el('span', '', m.payload.text)]);
    if (m.from === me && pending.has(m.random)) {
      if (pending.get(m.random) !== m.payload.text) line.append(el('span', 'note', t('masked')));
      pending.delete(m.random);
    }
  } else if (m.type === TIM.TYPES.MSG_CUSTOM) {
    onCustom(m, m.payload);
  } else if (m.type === TIM.TYPES.MSG_GRP_TIP) {
    onTip(m, m.payload);
  } else if (m.type === TIM.TYPES.MSG_GRP_SYS_NOTICE && m.payload.operationType === 5) {
    state.ended = true;
    render();
  }
}

let im;

async function sendText(text) {
  const msg = im.createTextMessage({ to: roomID, conversationType: TIM.TYPES.CONV_GROUP, payload: { text } });
  pending.set(msg.random, text);
  try {
    const r = await im.sendMessage(msg);
    if (!r.data.message.sequence) {
      pending.delete(msg.random);
      chatLine([el('span', 'name', t('you')), el('span', '', text), el('span', 'note', t('dropped'))], 'refused');
    }
  } catch (e) {
    pending.delete(msg.random);
    chatLine([el('span', 'name', t('you')), el('span', '', text), el('span', 'note', t('rejected') + e.message)], 'refused');
  }
}

// Likes: taps are gathered for a moment and sent as one LIKE message carrying their number.
let taps = 0;
function like() {
  floatHearts(1);
  taps++;
  clearTimeout(like.timer);
  like.timer = setTimeout(async () => {
    const n = taps;
    taps = 0;
    const msg = im.createCustomMessage({ to: roomID, conversationType: TIM.TYPES.CONV_GROUP, priority: TIM.TYPES.MSG_PRIORITY_LOW, payload: { data: 'LIKE', description: '', extension: JSON.stringify({ n }) } });
    try { await im.sendMessage(msg); } catch (e) { showAlert({ title: t('like'), detail: e.message }); }
  }, 400);
}

async function start() {
  translate();
  languageSwitch($('lang'), render);
  if (!roomID || !pass) {
    showAlert({ title: 'uriba', detail: t('noPass') }, true);
    return;
  }
  if (pass.nick) names.set(me, pass.nick);
  im = TIM.create({ SDKAppID: 0 });
  im.on(TIM.EVENT.MESSAGE_RECEIVED, (e) => e.data.forEach(onMessage));
  let connected = true;
  im.on(TIM.EVENT.NET_STATE_CHANGE, async ({ data }) => {
    if (data.state === TIM.TYPES.NET_STATE_CONNECTED) {
      if (!connected) {
        connected = true;
        showAlert(null);
        // Back after a break: what changed meanwhile is read again.
        try { await readRoom(); } catch (e) { showAlert(e); }
        refreshStream();
        refreshBalance();
      }
    } else {
      connected = false;
      try { await im.getGroupProfile({ groupID: roomID }); showAlert({ title: 'IM', detail: t('reconnecting') }); } catch (e) { showAlert({ title: 'IM', detail: `${t('reconnecting')} (${e.message})` }); }
    }
  });
  await im.login({ userID: pass.userID, userSig: pass.userSig });
  try {
    await im.joinGroup({ groupID: roomID });
    await readRoom();
  } catch (e) {
    showAlert({ title: 'IM', detail: e.message }, true);
    return;
  }
  refreshStream();
  setInterval(() => { if (!document.hidden) refreshStream(); }, 5000);
  refreshBalance();
  loadGifts();

  $('chat-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $('chat-input');
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    sendText(text);
  });
  $('like').addEventListener('click', like);
  $('gift-button').addEventListener('click', () => {
    const d = $('drawer');
    d.hidden = !d.hidden;
    $('gift-button').setAttribute('aria-expanded', String(!d.hidden));
    if (!d.hidden) refreshBalance();
  });
  window.addEventListener('pagehide', () => im.close(roomID));
}

window.addEventListener('unhandledrejection', (e) => { e.preventDefault(); showAlert(e.reason); });
start();
