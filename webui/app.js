// The web UI's shell: session, routing (#/ and #/d/<cluster>/<namespace>/<name>), the API client and
// the live deployment list (Server-Sent Events). Views live in views.js and diff.js.
import { render } from './vendor/preact.mjs';
import { useEffect, useState } from './vendor/hooks.mjs';
import { html } from './html.js';
import { SESSION_ENDED, api } from './api.js';
import { DeploymentList, DeploymentDetail } from './views.js';

function useRoute() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  const m = /^#\/d\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(hash);
  return m
    ? {
        clusterId: decodeURIComponent(m[1]),
        namespace: decodeURIComponent(m[2]),
        name: decodeURIComponent(m[3]),
      }
    : undefined;
}

/**
 * The live list: first from /ui/api/deployments, then from every `deployments` event; a server that
 * cannot stream (the HTTP API on AWS) says `stream: false`, and the list is fetched again every `pollMs`.
 */
function useDeployments(enabled) {
  const [state, setState] = useState({ deployments: undefined, version: 0, live: false, error: undefined });
  useEffect(() => {
    if (!enabled) return undefined;
    let closed = false;
    let es;
    let timer;
    const poll = (pollMs) =>
      api('/ui/api/deployments')
        .then(
          (d) =>
            !closed &&
            setState((s) => ({
              deployments: d.deployments,
              version: s.version + 1,
              live: true,
              error: undefined,
            })),
        )
        .catch((e) => !closed && setState((s) => ({ ...s, live: false, error: e.message })))
        .finally(() => {
          if (!closed) timer = setTimeout(() => poll(pollMs), pollMs);
        });
    api('/ui/api/deployments')
      .then((d) => {
        if (closed) return;
        setState((s) => ({ ...s, deployments: s.deployments ?? d.deployments }));
        if (d.stream === false) timer = setTimeout(() => poll(d.pollMs ?? 5000), d.pollMs ?? 5000);
        else {
          es = new EventSource('/ui/api/events');
          es.addEventListener('deployments', (ev) => {
            const v = JSON.parse(ev.data);
            setState({ deployments: v.deployments, version: v.version, live: true, error: undefined });
          });
          es.onerror = () => {
            setState((s) => ({ ...s, live: false }));
            // Refused for good (the browser retries other failures itself): ask who we are, which
            // sends the page to the login form when the session is over.
            if (es.readyState === EventSource.CLOSED) void api('/ui/api/me').catch(() => undefined);
          };
        }
      })
      .catch((e) => !closed && setState((s) => ({ ...s, error: e.message })));
    return () => {
      closed = true;
      es?.close();
      clearTimeout(timer);
    };
  }, [enabled]);
  return state;
}

function Login({ onLogin, ended }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [methods, setMethods] = useState({ staticUsers: true, oidc: false });
  useEffect(() => {
    api('/ui/api/auth/info').then(setMethods, () => undefined);
  }, []);
  const submit = async (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target);
    setBusy(true);
    setError('');
    try {
      onLogin(
        await api('/ui/api/login', {
          method: 'POST',
          body: { name: form.get('name'), password: form.get('password') },
        }),
      );
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="login">
    <h1>kluctl-serverless</h1>
    ${ended ? html`<p role="status">Your session ended; log in again.</p>` : ''}
    ${
      methods.staticUsers
        ? html`<form onSubmit=${submit} aria-describedby="login-error">
          <label for="name">User</label>
          <input id="name" name="name" autocomplete="username" required />
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
          <button type="submit" disabled=${busy}>Log in</button>
          <p id="login-error" class="error" role="alert">${error}</p>
        </form>`
        : ''
    }
    ${methods.oidc ? html`<p><a class="button" href="/ui/api/auth/oidc/login">Log in with OIDC</a></p>` : ''}
  </main>`;
}

function App() {
  const [me, setMe] = useState(undefined);
  const route = useRoute();
  const list = useDeployments(Boolean(me?.user));
  const [ended, setEnded] = useState(false);
  useEffect(() => {
    api('/ui/api/me').then(setMe, () => setMe(null));
    const onEnded = () =>
      setMe((m) => {
        if (m) setEnded(true);
        return null;
      });
    addEventListener(SESSION_ENDED, onEnded);
    return () => removeEventListener(SESSION_ENDED, onEnded);
  }, []);
  if (me === undefined) return html`<p class="loading">Loading…</p>`;
  if (me === null)
    return html`<${Login}
      onLogin=${(m) => {
        setEnded(false);
        setMe(m);
      }}
      ended=${ended}
    />`;
  const logout = async () => {
    await api('/ui/api/logout', { method: 'POST' }).catch(() => undefined);
    setMe(null);
  };
  return html`<div>
    <header class="top">
      <a href="#/" class="brand">kluctl-serverless</a>
      <span class=${`live ${list.live ? 'on' : 'off'}`} title="live updates" aria-live="polite"
        >${list.live ? '● live' : '○ offline'}</span
      >
      <span class="who">${me.user} (${me.role})</span>
      <button type="button" onClick=${logout}>Log out</button>
    </header>
    <main>
      ${list.error ? html`<p class="error" role="alert">${list.error}</p>` : ''}
      ${
        route
          ? html`<${DeploymentDetail}
              key=${`${route.clusterId}/${route.namespace}/${route.name}`}
              route=${route}
              me=${me}
              list=${list}
            />`
          : html`<${DeploymentList} list=${list} />`
      }
    </main>
  </div>`;
}

render(html`<${App} />`, document.getElementById('app'));
