/** Queues: depth by status, age of the oldest waiting job, out rate, paused or not, pause/resume. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { ErrorLine, Time } from '../components.js';
import { count } from '../format.js';
import type { Summary } from '../live.js';

const SHOWN = ['queued', 'scheduled', 'running', 'retrying', 'failed', 'dead_letter', 'completed'];

export function Queues({ summary, readOnly }: { summary: Summary | null; readOnly: boolean }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  if (!summary) return html`<p class="muted">Loading…</p>`;
  const toggle = async (name: string, paused: boolean) => {
    setError(null);
    setBusy(name);
    try {
      await post(`/v1/queues/${encodeURIComponent(name)}/${paused ? 'resume' : 'pause'}`);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(null);
    }
  };
  return html`<section>
    <h1>Queues</h1>
    <${ErrorLine} error=${error} />
    ${summary.queues.length === 0 ? html`<p class="muted">No queues yet: a queue appears with its first job.</p>` : null}
    <table data-testid="queues-table">
      <thead><tr><th>Queue</th>${SHOWN.map((s) => html`<th class="num">${s.replace('_', ' ')}</th>`)}<th>Oldest waiting</th><th class="num">Out /s</th><th>State</th>${readOnly ? null : html`<th></th>`}</tr></thead>
      <tbody>
        ${summary.queues.map(
          (q) => html`<tr key=${q.name} data-queue=${q.name}>
            <td><a href=${`#/jobs?queue=${encodeURIComponent(q.name)}`}>${q.name}</a></td>
            ${SHOWN.map((s) => html`<td class="num"><a href=${`#/jobs?queue=${encodeURIComponent(q.name)}&status=${s}`}>${count(q.counts[s] ?? 0)}</a></td>`)}
            <td><${Time} at=${q.oldestQueuedAt} /></td>
            <td class="num">${summary.throughput.outPerSecondByQueue[q.name] ?? 0}</td>
            <td data-testid="queue-state">${q.paused ? html`<span class="status s-paused">paused</span>` : 'active'}</td>
            ${readOnly ? null : html`<td><button disabled=${busy === q.name} onClick=${() => toggle(q.name, q.paused)}>${q.paused ? 'Resume' : 'Pause'}</button></td>`}
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}
