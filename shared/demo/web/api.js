// uriba's HTTP API, as the demo pages call it. A refusal rejects with a Problem that carries the
// problem document's title and detail, ready to show.

export class Problem extends Error {
  constructor({ title, detail, status, code }) {
    super(detail || title);
    this.title = title;
    this.detail = detail;
    this.status = status;
    this.code = code;
  }
}

/** request calls uriba; auth is a merchant key ({key}) or a viewer ({userID, userSig}). */
export async function request(method, path, { auth, body, idempotencyKey } = {}) {
  const headers = {};
  if (auth?.key) headers.Authorization = 'Bearer ' + auth.key;
  if (auth?.userSig) {
    headers.Authorization = 'UserSig ' + auth.userSig;
    headers['X-User-Id'] = auth.userID;
  }
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new Problem({ title: 'Network error', detail: 'The server could not be reached. Is the dev server running?', status: 0, code: 'network' });
  }
  const text = await res.text();
  let doc = null;
  try { doc = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!res.ok) {
    if (doc?.title) throw new Problem(doc);
    throw new Problem({ title: res.statusText || 'Error', detail: doc?.message || text.slice(0, 200), status: res.status, code: doc?.code });
  }
  return doc;
}

/** newKey returns a fresh Idempotency-Key. */
export const newKey = () => crypto.randomUUID();
