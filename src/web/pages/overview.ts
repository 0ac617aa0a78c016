/** Overview: counts per status, jobs in and out per second, queue wait, workers and slots. */
import { html } from 'htm/preact';
import { Chart, Time } from '../components.js';
import { count, duration } from '../format.js';
import type { Summary } from '../live.js';

export const STATUSES = ['queued', 'scheduled', 'running', 'retrying', 'completed', 'failed', 'dead_letter', 'cancelled'];

export function Overview({ summary }: { summary: Summary | null }) {
  if (!summary) return html`<p class="muted">Loading…</p>`;
  const alive = summary.workers.filter((w) => w.alive);
  const slots = alive.reduce((n, w) => n + w.concurrency, 0);
  const busy = alive.reduce((n, w) => n + w.busy, 0);
  return html`<section>
    <h1>Overview</h1>
    <div class="cards" data-testid="counts">
      ${STATUSES.map(
        (s) => html`<a class=${`card s-${s}`} href=${`#/jobs?status=${s}`} data-status=${s}>
          <span class="label">${s.replace('_', ' ')}</span><span class="value">${count(summary.counts[s] ?? 0)}</span>
        </a>`,
      )}
    </div>
    <div class="grid2">
      <div class="panel">
        <h2>Jobs per second</h2>
        <${Chart} points=${summary.throughput.points} />
      </div>
      <div class="panel">
        <h2>Now</h2>
        <dl class="facts">
          <dt>Queue wait p50 / p95</dt><dd>${duration(summary.queueWaitP50Ms)} / ${duration(summary.queueWaitP95Ms)}</dd>
          <dt>Workers connected</dt><dd><a href="#/workers">${alive.length}</a></dd>
          <dt>Slots busy</dt><dd>${busy} of ${slots}</dd>
          <dt>Submitted / finished since start</dt><dd>${count(summary.submittedTotal)} / ${count(summary.finishedTotal)}</dd>
          <dt>Master</dt><dd>${summary.state}, version ${summary.version}, up since <${Time} at=${summary.startedAt} /></dd>
        </dl>
      </div>
    </div>
  </section>`;
}
