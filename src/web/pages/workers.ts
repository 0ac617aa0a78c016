/** Workers: host, slots, heartbeat age, running jobs, draining or not. */
import { html } from 'htm/preact';
import { Time } from '../components.js';
import type { Summary } from '../live.js';

export function Workers({ summary }: { summary: Summary | null }) {
  if (!summary) return html`<p class="muted">Loading…</p>`;
  return html`<section>
    <h1>Workers</h1>
    ${summary.workers.length === 0 ? html`<p class="muted">No worker is connected. Start one with <code>nucleus worker</code>.</p>` : null}
    <table data-testid="workers-table">
      <thead><tr><th>Worker</th><th>Host</th><th>Pid</th><th class="num">Slots busy</th><th>Last heartbeat</th><th>Connected</th><th class="num">Done</th><th>Queues</th><th>State</th><th>Running</th></tr></thead>
      <tbody>
        ${summary.workers.map(
          (w) => html`<tr key=${w.id}>
            <td><a href=${`#/jobs?worker=${encodeURIComponent(w.id)}`}>${w.id}</a></td><td>${w.hostname}</td><td>${w.pid}</td>
            <td class="num">${w.busy} / ${w.concurrency}</td><td><${Time} at=${w.lastHeartbeatAt} /></td><td><${Time} at=${w.connectedAt} /></td>
            <td class="num">${w.jobsDone}</td><td>${w.queues.length ? w.queues.join(', ') : 'all'}</td>
            <td>${!w.alive ? html`<span class="status s-failed">lost</span>` : w.draining ? html`<span class="status s-paused">draining</span>` : 'ready'}</td>
            <td>${w.runningJobIds.slice(0, 8).map((id) => html`<a href=${`#/jobs/${id}`}>${id}</a> `)}${w.runningJobIds.length > 8 ? `+${w.runningJobIds.length - 8}` : ''}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}
