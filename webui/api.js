// The API client: JSON in and out, the CSRF token on actions, the server's message on errors.

/** The window event sent when the server answers 401: the session is over. */
export const SESSION_ENDED = 'ks-session-ended';

/** Calls the API; throws an Error with the server's message. */
export async function api(path, { method = 'GET', body, csrf } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (csrf) headers['x-csrf-token'] = csrf;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const data = await res.json().catch(() => ({}));
  // A session that ended (expired, or its OIDC identity could not be renewed): back to the login page.
  if (res.status === 401 && path !== '/ui/api/login') window.dispatchEvent(new window.Event(SESSION_ENDED));
  if (!res.ok) {
    const err = new Error(data.message ?? `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return data;
}
