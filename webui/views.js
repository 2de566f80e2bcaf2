// The deployment list (grouped by project and target, with search and filters) and one deployment's
// page (status, actions, approval, drift, results with diffs, durations, spec).
import { useEffect, useMemo, useRef, useState } from './vendor/hooks.mjs';
import { api } from './api.js';
import { DurationPlot, MessagesView, ObjectsView } from './diff.js';
import { html } from './html.js';

const FILTERS = {
  all: ['All', () => true],
  failing: ['Not ready', (d) => d.ready?.status !== 'True'],
  suspended: ['Suspended', (d) => d.suspended],
  approval: ['Approval pending', (d) => Boolean(d.approvalPending)],
  drift: ['Drifted', (d) => d.drift !== undefined && d.drift !== 'no drift'],
};

function when(t) {
  return t ? new Date(t).toLocaleString() : '–';
}

function ReadyBadge({ d }) {
  const s = d.ready?.status ?? 'Unknown';
  const cls = s === 'True' ? 'ok' : s === 'False' ? 'bad' : 'unknown';
  return html`<span class=${`badge ${cls}`} title=${d.ready?.message ?? ''}
    >${s === 'True' ? 'Ready' : s === 'False' ? 'Not ready' : 'Unknown'}</span
  >`;
}

function detailHref(d) {
  return `#/d/${encodeURIComponent(d.clusterId)}/${encodeURIComponent(d.namespace)}/${encodeURIComponent(d.name)}`;
}

/** The list of every deployment, grouped by project, then target. */
export function DeploymentList({ list }) {
  const [query, setQuery] = useState('');
  const [filter, setFilter] = useState('all');
  const rows = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (list.deployments ?? []).filter(
      (d) =>
        FILTERS[filter][1](d) &&
        (!q ||
          [d.name, d.namespace, d.project, d.target, d.clusterId].some((v) => v.toLowerCase().includes(q))),
    );
  }, [list.deployments, query, filter]);
  const groups = new Map();
  for (const d of rows) {
    const k = `${d.project}\0${d.target}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(d);
  }
  return html`<section aria-labelledby="list-title">
    <h1 id="list-title">Deployments</h1>
    <div class="filters" role="search">
      <label for="search">Search</label>
      <input
        id="search"
        type="search"
        value=${query}
        onInput=${(e) => setQuery(e.target.value)}
        placeholder="name, namespace, project, target"
      />
      <label for="filter">Show</label>
      <select id="filter" value=${filter} onChange=${(e) => setFilter(e.target.value)}>
        ${Object.entries(FILTERS).map(([k, [label]]) => html`<option value=${k}>${label}</option>`)}
      </select>
      <span class="muted" aria-live="polite"
        >${list.deployments ? `${rows.length} of ${list.deployments.length}` : 'loading…'}</span
      >
    </div>
    ${[...groups.entries()].map(([k, ds]) => {
      const [project, target] = k.split('\0');
      return html`<section class="group">
        <h2>
          <span class="muted">project </span>${project || '(none)'}<span class="muted"> · target </span>${target}
        </h2>
        <table class="deployments">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Namespace</th>
              <th scope="col">Ready</th>
              <th scope="col">Suspended</th>
              <th scope="col">Drift</th>
              <th scope="col">Last deploy</th>
              <th scope="col">Last validate</th>
              <th scope="col">Approval</th>
            </tr>
          </thead>
          <tbody>
            ${ds.map(
              (d) =>
                html`<tr data-name=${d.name}>
                  <td><a href=${detailHref(d)}>${d.name}</a></td>
                  <td>${d.namespace}</td>
                  <td><${ReadyBadge} d=${d} /></td>
                  <td>${d.suspended ? html`<span class="badge warn">suspended</span>` : 'no'}</td>
                  <td>${d.drift ?? '–'}</td>
                  <td>
                    ${d.lastDeploy ? html`${when(d.lastDeploy.endTime)}${d.lastDeploy.errors ? html` <span class="badge bad">${d.lastDeploy.errors} errors</span>` : ''}` : '–'}
                  </td>
                  <td>
                    ${d.lastValidate ? html`${when(d.lastValidate.endTime)} ${d.lastValidate.ready ? '' : html`<span class="badge bad">not ready</span>`}` : '–'}
                  </td>
                  <td>
                    ${d.approvalPending ? html`<span class="badge warn">pending</span>` : d.manual ? 'approved' : '–'}
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
      </section>`;
    })}
    ${list.deployments && rows.length === 0 ? html`<p class="muted">No deployment matches.</p>` : ''}
  </section>`;
}

const ACTIONS = [
  ['reconcile', 'Reconcile', 'Run a full reconcile now (deploy if due, validate, drift detection).'],
  ['deploy', 'Deploy', 'Deploy now, even if nothing changed.'],
  ['diff', 'Diff', 'Compute a diff against the cluster now.'],
  ['prune', 'Prune', 'Delete orphan objects now.'],
  ['validate', 'Validate', 'Validate now.'],
];

/**
 * A confirmation dialog: a native modal <dialog> (the page behind is inert), focus first on Cancel (the
 * harmless answer, so a stray Enter changes nothing), Tab and Shift+Tab kept between its buttons,
 * Escape cancels. The answer is given once the dialog has closed, so the browser has put focus back on
 * the button that opened it before the dialog leaves the page.
 */
function Confirm({ question, onAnswer }) {
  const ref = useRef();
  const cancel = useRef();
  const answer = useRef(false);
  useEffect(() => {
    const opener = document.activeElement;
    const dialog = ref.current;
    dialog?.showModal();
    cancel.current?.focus();
    return () => {
      if (dialog?.open) dialog.close();
      if (opener?.isConnected && document.activeElement === document.body) opener.focus();
    };
  }, []);
  const trap = (ev) => {
    if (ev.key !== 'Tab') return;
    const buttons = [...ref.current.querySelectorAll('button')];
    const i = buttons.indexOf(document.activeElement);
    ev.preventDefault();
    buttons[(i + (ev.shiftKey ? -1 : 1) + buttons.length) % buttons.length].focus();
  };
  const close = (yes) => {
    answer.current = yes;
    ref.current.close();
  };
  return html`<dialog
    ref=${ref}
    aria-labelledby="confirm-q"
    onKeyDown=${trap}
    onClose=${() => onAnswer(answer.current)}
  >
    <p id="confirm-q">${question}</p>
    <div class="buttons">
      <button type="button" onClick=${() => close(true)}>Yes</button>
      <button type="button" ref=${cancel} onClick=${() => close(false)}>Cancel</button>
    </div>
  </dialog>`;
}

function Actions({ d, me, onDone }) {
  const [asking, setAsking] = useState(undefined);
  const [message, setMessage] = useState('');
  const run = async (action, body) => {
    setMessage('');
    try {
      const r = await api(
        `/ui/api/deployments/${encodeURIComponent(d.clusterId)}/${encodeURIComponent(d.namespace)}/${encodeURIComponent(d.name)}/actions/${action}`,
        {
          method: 'POST',
          body: body ?? {},
          csrf: me.csrfToken,
        },
      );
      setMessage(`${action} requested${r.requestValue ? ` (${r.requestValue})` : ''}`);
      onDone();
    } catch (e) {
      setMessage(`${action} refused: ${e.message}`);
    }
  };
  const ask = (action, question, body) => setAsking({ action, question, body });
  const admin = me.role === 'admin';
  return html`<section class="actions" aria-label="Actions">
    ${ACTIONS.map(
      ([a, label, help]) =>
        html`<button
          type="button"
          title=${help}
          onClick=${() => ask(a, `${label} ${d.namespace}/${d.name}?`)}
        >
          ${label}
        </button>`,
    )}
    ${
      d.suspended
        ? html`<button type="button" onClick=${() => ask('resume', `Resume ${d.namespace}/${d.name}?`)}>
            Resume
          </button>`
        : html`<button
            type="button"
            onClick=${() => ask('suspend', `Suspend ${d.namespace}/${d.name}? It will not deploy until resumed.`)}
          >
            Suspend
          </button>`
    }
    ${
      d.approvalPending
        ? html`<button
            type="button"
            class="primary"
            onClick=${() => ask('approve', `Approve objects hash ${d.approvalPending} and deploy it?`, { hash: d.approvalPending })}
          >
            Approve ${d.approvalPending.slice(0, 12)}…
          </button>`
        : ''
    }
    ${admin ? '' : html`<span class="muted">You are a viewer: the server refuses actions.</span>`}
    <p class="action-message" role="status">${message}</p>
    ${
      asking
        ? html`<${Confirm}
            question=${asking.question}
            onAnswer=${(yes) => {
              const a = asking;
              setAsking(undefined);
              if (yes) void run(a.action, a.body);
            }}
          />`
        : ''
    }
  </section>`;
}

function ResultView({ d, entry }) {
  const [result, setResult] = useState(undefined);
  const [error, setError] = useState('');
  useEffect(() => {
    api(
      `/ui/api/deployments/${encodeURIComponent(d.clusterId)}/${encodeURIComponent(d.namespace)}/${encodeURIComponent(d.name)}/results/${entry.kind}/${entry.id}`,
    ).then(setResult, (e) => setError(e.message));
  }, [entry.id]);
  if (error) return html`<p class="error">${error}</p>`;
  if (!result) return html`<p class="muted">Loading result…</p>`;
  if (result.kind === 'validate') {
    return html`<div class="result">
      <p>${result.ready ? 'Ready' : 'Not ready'}</p>
      <${MessagesView} errors=${result.errors} warnings=${result.warnings} />
      <ul>
        ${(result.results ?? []).map((r) => html`<li><code>${r.ref.kind} ${r.ref.name}</code> ${r.annotation}: ${r.message}</li>`)}
      </ul>
    </div>`;
  }
  return html`<div class="result">
    <${MessagesView} errors=${result.errors} warnings=${result.warnings} />
    <${ObjectsView}
      objects=${result.objects.filter((o) => o.new || o.orphan || o.deleted || o.changes?.length)}
      empty="No new, changed, orphan or deleted objects."
    />
  </div>`;
}

function History({ d, results }) {
  const [open, setOpen] = useState(undefined);
  if (!results.length) return html`<p class="muted">No results kept.</p>`;
  return html`<table class="history">
    <thead>
      <tr>
        <th scope="col">Command</th>
        <th scope="col">Started</th>
        <th scope="col">Duration</th>
        <th scope="col">New</th>
        <th scope="col">Changed</th>
        <th scope="col">Orphan</th>
        <th scope="col">Deleted</th>
        <th scope="col">Errors</th>
        <th scope="col">Warnings</th>
        <th scope="col"><span class="sr-only">Result</span></th>
      </tr>
    </thead>
    <tbody>
      ${results.map(
        (e) =>
          html`<tr>
              <td>${e.command}</td>
              <td>${when(e.startTime)}</td>
              <td>${e.durationS.toFixed(1)} s</td>
              <td>${e.newObjects ?? ''}</td>
              <td>${e.changedObjects ?? ''}</td>
              <td>${e.orphanObjects ?? ''}</td>
              <td>${e.deletedObjects ?? ''}</td>
              <td>${e.errors}</td>
              <td>${e.warnings}</td>
              <td>
                <button
                  type="button"
                  aria-expanded=${open === e.id}
                  onClick=${() => setOpen(open === e.id ? undefined : e.id)}
                >
                  ${open === e.id ? 'Hide' : 'Show'}
                </button>
              </td>
            </tr>
            ${
              open === e.id
                ? html`<tr>
                    <td colspan="10"><${ResultView} d=${d} entry=${e} /></td>
                  </tr>`
                : ''
            }`,
      )}
    </tbody>
  </table>`;
}

/** The kept log lines of the last reconciles (those that did something), newest first. */
function Logs({ d, version }) {
  const [logs, setLogs] = useState(undefined);
  useEffect(() => {
    api(
      `/ui/api/deployments/${encodeURIComponent(d.clusterId)}/${encodeURIComponent(d.namespace)}/${encodeURIComponent(d.name)}/logs`,
    ).then(
      (r) => setLogs(r.logs),
      () => setLogs([]),
    );
  }, [version]);
  if (!logs) return html`<p class="muted">Loading…</p>`;
  if (logs.length === 0) return html`<p class="muted">No reconcile logs kept.</p>`;
  return html`<div class="logs">
    ${logs.slice(0, 10).map(
      (l, i) => html`<details open=${i === 0}>
        <summary>reconcile <code>${l.reconcileId}</code> (${l.lines.length} lines)</summary>
        <pre class="log">${l.lines.map((x) => `${x.ts} ${x.level.toUpperCase().padEnd(5)} ${x.msg}${fieldsText(x)}\n`)}</pre>
      </details>`,
    )}
  </div>`;
}

function fieldsText(line) {
  const rest = Object.entries(line).filter(([k]) => !['ts', 'level', 'msg'].includes(k));
  return rest.length
    ? ` ${rest.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}`
    : '';
}

/** One deployment's page; reloads when its row in the live list changes. */
export function DeploymentDetail({ route, me, list }) {
  const [detail, setDetail] = useState(undefined);
  const [error, setError] = useState('');
  const row = (list.deployments ?? []).find(
    (d) => d.clusterId === route.clusterId && d.namespace === route.namespace && d.name === route.name,
  );
  const rowKey = JSON.stringify(row ?? null);
  const load = () =>
    api(
      `/ui/api/deployments/${encodeURIComponent(route.clusterId)}/${encodeURIComponent(route.namespace)}/${encodeURIComponent(route.name)}`,
    ).then(
      (d) => {
        setDetail(d);
        setError('');
      },
      (e) => setError(e.message),
    );
  useEffect(() => {
    void load();
  }, [rowKey]);
  if (error) return html`<p class="error" role="alert">${error}</p>`;
  if (!detail) return html`<p class="muted">Loading…</p>`;
  const d = detail.summary;
  const st = detail.status;
  const drift = st.lastDriftDetectionResult;
  return html`<article aria-labelledby="kd-title">
    <p><a href="#/">← All deployments</a></p>
    <h1 id="kd-title">${d.namespace}/${d.name}</h1>
    <p class="badges" aria-live="polite">
      <${ReadyBadge} d=${d} />
      ${d.suspended ? html`<span class="badge warn">suspended</span>` : ''}
      ${d.dryRun ? html`<span class="badge">dry run</span>` : ''}
      ${d.manual ? html`<span class="badge">manual</span>` : ''}
      ${d.approvalPending ? html`<span class="badge warn">approval pending</span>` : ''}
      ${d.pendingRequests.map((r) => html`<span class="badge">${r} requested</span>`)}
      ${d.takenRequests.filter((r) => !r.endTime).map((r) => html`<span class="badge">${r.kind} running</span>`)}
    </p>
    <p class="muted">project ${d.project} · target ${d.target} · cluster ${d.clusterId}</p>
    ${d.ready ? html`<p class="status-message">${d.ready.reason}: ${d.ready.message}</p>` : ''}
    <${Actions} d=${d} me=${me} onDone=${load} />
    ${
      d.approvalPending
        ? html`<section class="approval" aria-labelledby="approval-title">
            <h2 id="approval-title">Waiting for approval</h2>
            <p>
              Rendered objects hash <code>${d.approvalPending}</code> is not deployed yet. Review what it
              changes (the drift below, or a Diff) before approving it.
            </p>
          </section>`
        : ''
    }
    <section aria-labelledby="drift-title">
      <h2 id="drift-title">
        Drift${st.lastDriftDetectionResultMessage ? html`<span class="muted"> (${st.lastDriftDetectionResultMessage})</span>` : ''}
      </h2>
      ${drift ? html`<${MessagesView} errors=${drift.errors} warnings=${drift.warnings} /><${ObjectsView} objects=${drift.objects} empty="No drift." />` : html`<p class="muted">No drift detection yet.</p>`}
    </section>
    <section aria-labelledby="validate-title">
      <h2 id="validate-title">Last validation</h2>
      ${
        st.lastValidateResult
          ? html`<p>${`${st.lastValidateResult.ready ? 'Ready' : 'Not ready'} at ${when(st.lastValidateResult.endTime)}`}</p>
              <${MessagesView}
                errors=${st.lastValidateResult.errors}
                warnings=${st.lastValidateResult.warnings}
              />
              <ul>
                ${(st.lastValidateResult.results ?? []).map((r) => html`<li><code>${r.ref.kind} ${r.ref.name}</code> ${r.annotation}: ${r.message}</li>`)}
              </ul>`
          : html`<p class="muted">Not validated yet.</p>`
      }
    </section>
    <section aria-labelledby="history-title">
      <h2 id="history-title">Results</h2>
      <${DurationPlot} entries=${detail.results} />
      <${History} d=${d} results=${detail.results} />
    </section>
    <section aria-labelledby="logs-title">
      <h2 id="logs-title">Reconcile logs</h2>
      <${Logs} d=${d} version=${rowKey} />
    </section>
    <section aria-labelledby="conditions-title">
      <h2 id="conditions-title">Conditions</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Reason</th>
            <th scope="col">Message</th>
            <th scope="col">Since</th>
          </tr>
        </thead>
        <tbody>
          ${detail.conditions.map(
            (c) =>
              html`<tr>
                <td>${c.type}</td>
                <td>${c.status}</td>
                <td>${c.reason}</td>
                <td>${c.message}</td>
                <td>${when(c.lastTransitionTime)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${st.lastPrepareError ? html`<pre class="error">${st.lastPrepareError}</pre>` : ''}
    </section>
    <section aria-labelledby="spec-title">
      <h2 id="spec-title">Spec</h2>
      <pre class="spec">${JSON.stringify(detail.spec, null, 2)}</pre>
    </section>
  </article>`;
}
