/** One job: its fields, payload, result, error, progress, every attempt, and a timeline. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { Bytes, ErrorLine, Status, Time, type BytesView } from '../components.js';
import { duration } from '../format.js';
import { useData } from '../live.js';

interface Attempt {
  number: number;
  workerId: string;
  startedAt: string;
  finishedAt: string | null;
  outcome: string;
  error: string | null;
}

interface JobDetail {
  id: string;
  status: string;
  queue: string;
  type: string;
  priority: number;
  attempt: number;
  failures: number;
  maxRetries: number;
  timeoutMs: number;
  contentType: string;
  payload: BytesView | null;
  result: BytesView | null;
  error: string | null;
  progress: number;
  progressMessage: string | null;
  workerId: string | null;
  idempotencyKey: string | null;
  runAt: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  attempts: Attempt[];
}

const CANCELLABLE = new Set(['queued', 'scheduled', 'retrying', 'running']);
const RETRYABLE = new Set(['failed', 'dead_letter', 'cancelled']);

export function Job({ id, readOnly }: { id: string; readOnly: boolean }) {
  const { data: job, error, reload } = useData(() => get<JobDetail>(`/v1/ui/jobs/${encodeURIComponent(id)}`), [id], (n) => n.ids.includes(id));
  const [actionError, setActionError] = useState<string | null>(null);
  const act = async (what: 'cancel' | 'retry') => {
    setActionError(null);
    try {
      await post(`/v1/jobs/${encodeURIComponent(id)}/${what}`);
      reload();
    } catch (e) {
      setActionError((e as Error).message);
    }
  };
  if (!job) return html`<section><h1>Job ${id}</h1><${ErrorLine} error=${error} />${error ? null : html`<p class="muted">Loading…</p>`}</section>`;
  const timeline: Array<[string, string | null, string]> = [['created', job.createdAt, '']];
  if (new Date(job.runAt).getTime() > new Date(job.createdAt).getTime() + 1000) timeline.push(['due', job.runAt, '']);
  for (const a of job.attempts) {
    timeline.push([`attempt ${a.number} started`, a.startedAt, `on ${a.workerId}`]);
    if (a.finishedAt) timeline.push([`attempt ${a.number} ${a.outcome}`, a.finishedAt, duration(new Date(a.finishedAt).getTime() - new Date(a.startedAt).getTime())]);
  }
  if (job.finishedAt) timeline.push([job.status.replace('_', ' '), job.finishedAt, '']);
  timeline.sort((a, b) => new Date(a[1] ?? 0).getTime() - new Date(b[1] ?? 0).getTime());
  return html`<section>
    <h1>Job ${job.id} <${Status} status=${job.status} /></h1>
    ${readOnly
      ? null
      : html`<div class="actions">
          ${CANCELLABLE.has(job.status) ? html`<button onClick=${() => act('cancel')}>Cancel</button>` : null}
          ${RETRYABLE.has(job.status) ? html`<button onClick=${() => act('retry')}>Retry</button>` : null}
        </div>`}
    <${ErrorLine} error=${actionError ?? error} />
    <div class="grid2">
      <dl class="facts panel">
        <dt>Type</dt><dd>${job.type}</dd>
        <dt>Queue</dt><dd><a href=${`#/jobs?queue=${encodeURIComponent(job.queue)}`}>${job.queue}</a></dd>
        <dt>Priority</dt><dd>${job.priority}</dd>
        <dt>Attempt</dt><dd>${job.attempt} of ${job.maxRetries + 1} (${job.failures} failed)</dd>
        <dt>Timeout</dt><dd>${duration(job.timeoutMs)}</dd>
        <dt>Worker</dt><dd>${job.workerId ?? '—'}</dd>
        <dt>Idempotency key</dt><dd>${job.idempotencyKey ?? '—'}</dd>
        <dt>Created</dt><dd><${Time} at=${job.createdAt} /></dd>
        <dt>Updated</dt><dd><${Time} at=${job.updatedAt} /></dd>
        <dt>Finished</dt><dd><${Time} at=${job.finishedAt} /></dd>
      </dl>
      <div class="panel">
        <h2>Timeline</h2>
        <ol class="timeline">${timeline.map(([what, at, note]) => html`<li><${Time} at=${at} /> <strong>${what}</strong> <span class="muted">${note}</span></li>`)}</ol>
        ${job.status === 'running' || job.progress > 0
          ? html`<h2>Progress</h2><progress max="100" value=${job.progress}></progress> ${Math.round(job.progress)}% <span data-testid="progress-message">${job.progressMessage ?? ''}</span>`
          : null}
      </div>
    </div>
    ${job.error ? html`<h2>Error</h2><pre class="text error-text" data-testid="job-error">${job.error}</pre>` : null}
    <h2>Payload</h2>
    <div data-testid="payload"><${Bytes} value=${job.payload} download=${`/v1/jobs/${job.id}/payload`} /></div>
    <h2>Result</h2>
    <div data-testid="result"><${Bytes} value=${job.result} download=${`/v1/jobs/${job.id}/result/raw`} /></div>
    <h2>Attempts</h2>
    ${job.attempts.length === 0
      ? html`<p class="muted">none yet</p>`
      : html`<table><thead><tr><th>#</th><th>Worker</th><th>Started</th><th>Ended</th><th>Took</th><th>Outcome</th><th>Error</th></tr></thead>
          <tbody>${job.attempts.map(
            (a) => html`<tr><td>${a.number}</td><td>${a.workerId}</td><td><${Time} at=${a.startedAt} /></td><td><${Time} at=${a.finishedAt} /></td>
              <td>${a.finishedAt ? duration(new Date(a.finishedAt).getTime() - new Date(a.startedAt).getTime()) : 'running'}</td><td>${a.outcome}</td><td class="err">${a.error ?? ''}</td></tr>`,
          )}</tbody></table>`}
  </section>`;
}
