// The IM side of the demo: the calls of Tencent's Chat Web SDK (@tencentcloud/chat) that a
// live-shopping viewer needs, answered by the dev server's IM stand-in (/standin/). Swapping in
// the real SDK means replacing this module with
//
//   import TencentCloudChat from '@tencentcloud/chat';
//   const TIM = TencentCloudChat;
//
// as every name, argument and message shape below is the SDK's: TIM.create, login, joinGroup,
// quitGroup, getGroupProfile, createTextMessage, createCustomMessage, sendMessage, on/off with
// TIM.EVENT.*, and errors rejected as {code, message}.

const EVENT = {
  SDK_READY: 'sdkStateReady',
  MESSAGE_RECEIVED: 'onMessageReceived',
  NET_STATE_CHANGE: 'netStateChange',
  KICKED_OUT: 'kickedOut',
};
const TYPES = {
  CONV_GROUP: 'GROUP',
  MSG_TEXT: 'TIMTextElem',
  MSG_CUSTOM: 'TIMCustomElem',
  MSG_GRP_TIP: 'TIMGroupTipElem',
  MSG_GRP_SYS_NOTICE: 'TIMGroupSystemNoticeElem',
  MSG_PRIORITY_HIGH: 'High',
  MSG_PRIORITY_NORMAL: 'Normal',
  MSG_PRIORITY_LOW: 'Low',
  MSG_PRIORITY_LOWEST: 'Lowest',
  GRP_TIP_MBR_JOIN: 1,
  GRP_TIP_MBR_QUIT: 2,
  GRP_TIP_GRP_PROFILE_UPDATED: 6,
  GRP_TIP_MBR_PROFILE_UPDATED: 7,
  NET_STATE_CONNECTED: 'connected',
  NET_STATE_CONNECTING: 'connecting',
  NET_STATE_DISCONNECTED: 'disconnected',
};

/** IMError is how the SDK rejects a call: an Error with IM's numeric code. */
export class IMError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

class Chat {
  constructor({ SDKAppID, baseURL = '' }) {
    this.SDKAppID = SDKAppID;
    this.base = baseURL;
    this.handlers = new Map();
    this.groups = new Map(); // groupID → EventSource
    this.user = null;
  }

  on(event, handler) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event).add(handler);
  }

  off(event, handler) {
    this.handlers.get(event)?.delete(handler);
  }

  emit(event, data) {
    for (const h of this.handlers.get(event) ?? []) {
      try { h({ name: event, data }); } catch (e) { console.warn('IM event handler failed', e); }
    }
  }

  async login({ userID, userSig }) {
    this.user = { userID, userSig };
    queueMicrotask(() => this.emit(EVENT.SDK_READY));
    return { code: 0, data: { repeatLogin: false } };
  }

  async logout() {
    for (const id of [...this.groups.keys()]) this.close(id);
    this.user = null;
    return { code: 0, data: {} };
  }

  async call(method, path, body) {
    if (!this.user) throw new IMError(2024, 'Not logged in.');
    let res;
    try {
      res = await fetch(this.base + '/standin' + path, {
        method,
        headers: {
          Authorization: 'UserSig ' + this.user.userSig,
          'X-User-Id': this.user.userID,
          ...(body ? { 'Content-Type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      throw new IMError(2800, 'The network is unavailable.');
    }
    let reply = {};
    try { reply = await res.json(); } catch { /* an empty or non-JSON answer */ }
    if (!res.ok) throw new IMError(reply.code ?? res.status, reply.message ?? res.statusText);
    return reply;
  }

  /** joinGroup joins an AVChatRoom and starts receiving its messages. */
  async joinGroup({ groupID }) {
    const r = await this.call('POST', `/groups/${encodeURIComponent(groupID)}/members`);
    this.listen(groupID);
    return { code: 0, data: { status: r.status, group: { groupID } } };
  }

  async quitGroup(groupID) {
    this.close(groupID);
    await this.call('DELETE', `/groups/${encodeURIComponent(groupID)}/members/me`);
    return { code: 0, data: { groupID } };
  }

  async getGroupProfile({ groupID }) {
    const group = await this.call('GET', `/groups/${encodeURIComponent(groupID)}`);
    return { code: 0, data: { group } };
  }

  createTextMessage({ to, conversationType, payload, priority }) {
    return this.message(to, conversationType, TYPES.MSG_TEXT, { text: payload.text }, priority);
  }

  createCustomMessage({ to, conversationType, payload, priority }) {
    const { data = '', description = '', extension = '' } = payload;
    return this.message(to, conversationType, TYPES.MSG_CUSTOM, { data, description, extension }, priority);
  }

  message(to, conversationType, type, payload, priority = TYPES.MSG_PRIORITY_NORMAL) {
    return {
      to, conversationType, type, payload, priority,
      conversationID: conversationType + to, from: this.user?.userID, flow: 'out',
      random: crypto.getRandomValues(new Uint32Array(1))[0], sequence: 0, status: 'unSend',
    };
  }

  /** sendMessage sends a message; a message the room's callback refused rejects with its code. */
  async sendMessage(message) {
    const body = { priority: message.priority, random: message.random };
    if (message.type === TYPES.MSG_TEXT) body.text = message.payload.text;
    else body.custom = message.payload;
    try {
      const r = await this.call('POST', `/groups/${encodeURIComponent(message.to)}/messages`, body);
      return { code: 0, data: { message: { ...message, sequence: r.msgSeq, status: 'success' } } };
    } catch (e) {
      message.status = 'fail';
      throw e;
    }
  }

  /** listen follows a group's messages, reconnecting with growing pauses after a break. */
  listen(groupID) {
    if (this.groups.has(groupID)) return;
    const url = `${this.base}/standin/groups/${encodeURIComponent(groupID)}/events?userId=${encodeURIComponent(this.user.userID)}&userSig=${encodeURIComponent(this.user.userSig)}`;
    let pause = 500;
    const open = () => {
      const es = new EventSource(url);
      this.groups.set(groupID, es);
      es.onopen = () => {
        pause = 500;
        this.emit(EVENT.NET_STATE_CHANGE, { state: TYPES.NET_STATE_CONNECTED, groupID });
      };
      es.addEventListener('message', (e) => {
        let m;
        try { m = JSON.parse(e.data); } catch { return; }
        this.emit(EVENT.MESSAGE_RECEIVED, [m]);
      });
      es.onerror = () => {
        es.close();
        if (this.groups.get(groupID) !== es) return;
        this.emit(EVENT.NET_STATE_CHANGE, { state: TYPES.NET_STATE_CONNECTING, groupID });
        setTimeout(() => { if (this.groups.get(groupID) === es) open(); }, pause);
        pause = Math.min(pause * 2, 5000);
      };
    };
    open();
  }

  close(groupID) {
    this.groups.get(groupID)?.close();
    this.groups.delete(groupID);
  }
}

const TIM = {
  create: (options) => new Chat(options),
  EVENT,
  TYPES,
};

export default TIM;
