// Readable diffs and the reconcile duration plot. Pure view functions, no state.
import { html } from './html.js';

/** One change (Kluctl's Change: type, jsonPath, unifiedDiff) as coloured diff lines. */
export function ChangeView({ change }) {
  const lines = (change.unifiedDiff ?? '').split('\n').filter((l, i, a) => l !== '' || i < a.length - 1);
  return html`<div class="change">
    <div class="change-path"><code>${change.jsonPath}</code> <span class="muted">(${change.type})</span></div>
    <pre class="diff" aria-label=${`diff of ${change.jsonPath}`}>
${lines.map((l) => {
  const cls = l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : l.startsWith('@@') ? 'hunk' : 'ctx';
  const label = cls === 'add' ? 'added: ' : cls === 'del' ? 'removed: ' : '';
  return html`<span class=${`line ${cls}`}><span class="sr-only">${label}</span>${l}${'\n'}</span>`;
})}</pre>
  </div>`;
}

/** The tag of an object ref: `Kind namespace/name`. */
export function refText(ref) {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** Objects of a result or drift with their flags and diffs. */
export function ObjectsView({ objects, empty }) {
  if (!objects || objects.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<ul class="objects">
    ${objects.map(
      (o) =>
        html`<li class="object">
          <div class="object-head">
            <strong>${refText(o.ref)}</strong>
            ${o.new ? html` <span class="badge new">new</span>` : ''}
            ${o.orphan ? html` <span class="badge orphan">orphan</span>` : ''}
            ${o.deleted ? html` <span class="badge deleted">deleted</span>` : ''}
            ${o.changes?.length ? html` <span class="badge changed">changed</span>` : ''}
            ${o.hook ? html` <span class="badge">hook</span>` : ''}
          </div>
          ${(o.changes ?? []).map((c) => html`<${ChangeView} change=${c} />`)}
        </li>`,
    )}
  </ul>`;
}

/** Errors and warnings, each with the object it concerns. */
export function MessagesView({ errors, warnings }) {
  const rows = [...(errors ?? []).map((e) => ['error', e]), ...(warnings ?? []).map((w) => ['warning', w])];
  if (rows.length === 0) return '';
  return html`<ul class="messages">
    ${rows.map(
      ([kind, m]) =>
        html`<li class=${kind}>
          <strong>${kind}</strong> ${m.ref?.kind ? html` <code>${refText(m.ref)}</code>` : ''}: ${m.message}
        </li>`,
    )}
  </ul>`;
}

/** Durations of the results (seconds) over time as an inline SVG bar chart with a text fallback. */
export function DurationPlot({ entries }) {
  const points = [...entries].filter((e) => e.startTime).reverse();
  if (points.length === 0) return html`<p class="muted">No results yet.</p>`;
  const w = 600;
  const h = 140;
  const pad = 30;
  const max = Math.max(1, ...points.map((p) => p.durationS));
  const bw = Math.max(4, Math.min(40, (w - pad * 2) / points.length - 4));
  const summary = points.map((p) => `${p.command} ${p.durationS.toFixed(1)}s`).join(', ');
  return html`<figure class="plot">
    <svg viewBox=${`0 0 ${w} ${h}`} role="img" aria-label=${`Durations in seconds, oldest first: ${summary}`}>
      <line x1=${pad} y1=${h - pad} x2=${w - pad / 2} y2=${h - pad} class="axis" />
      <line x1=${pad} y1=${pad / 2} x2=${pad} y2=${h - pad} class="axis" />
      <text x="2" y=${pad / 2 + 8} class="tick">${max.toFixed(0)}s</text>
      <text x="2" y=${h - pad} class="tick">0</text>
      ${points.map((p, i) => {
        const bh = ((h - pad * 1.5) * p.durationS) / max;
        const x = pad + 4 + i * (bw + 4);
        return html`<g>
          <rect
            x=${x}
            y=${h - pad - bh}
            width=${bw}
            height=${Math.max(1, bh)}
            class=${`bar ${p.command} ${p.errors ? 'failed' : ''}`}
          >
            <title>
              ${`${p.command} at ${new Date(p.startTime).toLocaleString()}: ${p.durationS.toFixed(1)} s${p.errors ? `, ${p.errors} errors` : ''}`}
            </title>
          </rect>
        </g>`;
      })}
    </svg>
    <figcaption>
      Command durations, oldest left (deploy, diff, prune: blue; validate: green; failed: red).
    </figcaption>
  </figure>`;
}
