/**
 * Failed and dead letter, grouped by error message: retry or cancel one job, the selected rows,
 * or everything matching the group's filter (the count is shown and confirmed first; the master
 * does it in batches). Retrying jobs (waiting for their next attempt) can be cancelled.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { get, post, query } from '../api.js';
import { Confirm, ErrorLine, Status, Time } from '../components.js';
import { count } from '../format.js';
import { useData } from '../live.js';
import type { JobRow } from './jobs.js';

interface Group {
  error: string;
  count: number;
  latestId: string;
  latestAt: string;
}

interface BulkResult {
  matched: number;
  changed: number;
  skippedCount: number;
  skipped: Array<{ id: string; reason: string }>;
  truncated: boolean;
}

const TABS = [
  ['dead_letter', 'Dead letter'],
  ['failed', 'Failed'],
  ['retrying', 'Retrying'],
] as const;

export function Failed({ params, go, readOnly }: { params: URLSearchParams; go: (hash: string) => void; readOnly: boolean }) {
  const status = params.get('status') ?? 'dead_letter';
  const queue = params.get('queue') ?? '';
  const relevant = (n: { statuses: string[] }) => n.statuses.includes(status) || n.statuses.includes('queued');
  const { data, error } = useData(() => get<{ groups: Group[] }>(`/v1/errors${query({ status, queue })}`), [status, queue], relevant);
  const [done, setDone] = useState<string | null>(null);
  return html`<section>
    <h1>Failed and dead letter</h1>
    <nav class="tabs" aria-label="status">
      ${TABS.map(([s, label]) => html`<a href=${`#/failed${query({ status: s, queue })}`} aria-current=${s === status ? 'page' : undefined}>${label}</a>`)}
    </nav>
    <form class="filters" onSubmit=${(e: Event) => {
      e.preventDefault();
      const q = String(new FormData(e.target as HTMLFormElement).get('queue') ?? '').trim();
      go(`#/failed${query({ status, queue: q })}`);
    }}>
      <label>Queue <input name="queue" value=${queue} placeholder="all" /></label><button type="submit">Apply</button>
    </form>
    <${ErrorLine} error=${error} />
    ${done ? html`<p class="ok" role="status" data-testid="bulk-done">${done}</p>` : null}
    ${data && data.groups.length === 0 ? html`<p class="muted">Nothing ${status.replace('_', ' ')}${queue ? ` in ${queue}` : ''}.</p>` : null}
    ${(data?.groups ?? []).map((g) => html`<${ErrorGroup} key=${g.error} group=${g} status=${status} queue=${queue} readOnly=${readOnly} onDone=${setDone} />`)}
  </section>`;
}

function ErrorGroup({ group, status, queue, readOnly, onDone }: { group: Group; status: string; queue: string; readOnly: boolean; onDone: (text: string) => void }) {
  const [open, setOpen] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [asking, setAsking] = useState<{ action: 'retry' | 'cancel'; all: boolean; n: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const filter = { status, queue, error: group.error };
  const jobs = useData(
    () => (open ? get<{ jobs: JobRow[] }>(`/v1/jobs${query({ ...filter, limit: 50, newest_first: true })}`) : Promise.resolve({ jobs: [] as JobRow[] })),
    [open, status, queue, group.error, group.count],
  );
  const action = status === 'retrying' ? 'cancel' : 'retry';
  const ask = async (all: boolean) => {
    setError(null);
    try {
      const n = all ? (await get<{ count: number }>(`/v1/jobs/count${query(filter)}`)).count : selected.size;
      setAsking({ action, all, n });
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const run = async () => {
    if (!asking) return;
    setBusy(true);
    try {
      const body = asking.all ? { action: asking.action, filter } : { action: asking.action, ids: [...selected] };
      const r = await post<BulkResult>('/v1/jobs/bulk', body);
      onDone(`${asking.action === 'retry' ? 'Retried' : 'Cancelled'} ${count(r.changed)} of ${count(r.matched)} jobs${r.skippedCount ? `; ${r.skippedCount} had changed meanwhile (${r.skipped[0]?.reason ?? ''})` : ''}${r.truncated ? '; stopped at the limit per call, run it again for the rest' : ''}.`);
      setSelected(new Set());
      setAsking(null);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  return html`<article class="group panel" data-error=${group.error}>
    <header>
      <button class="th" aria-expanded=${open} onClick=${() => setOpen(!open)}>${open ? '▾' : '▸'}</button>
      <pre class="text group-error">${group.error || '(no error text)'}</pre>
      <span class="count" data-testid="group-count">${count(group.count)}</span>
      <span class="muted">latest <a href=${`#/jobs/${group.latestId}`}>${group.latestId}</a>, <${Time} at=${group.latestAt} /></span>
      ${readOnly
        ? null
        : html`<span class="actions">
            <button onClick=${() => ask(true)} disabled=${busy}>${action === 'retry' ? 'Retry' : 'Cancel'} all matching</button>
            ${selected.size > 0 ? html`<button onClick=${() => ask(false)} disabled=${busy}>${action === 'retry' ? 'Retry' : 'Cancel'} ${selected.size} selected</button>` : null}
          </span>`}
    </header>
    ${asking
      ? html`<${Confirm}
          text=${`${asking.action === 'retry' ? 'Retry' : 'Cancel'} ${count(asking.n)} ${asking.n === 1 ? 'job' : 'jobs'} ${asking.all ? `with this error (${status.replace('_', ' ')}${queue ? `, queue ${queue}` : ''})` : 'selected'}?`}
          onYes=${run}
          onNo=${() => setAsking(null)}
          busy=${busy}
        />`
      : null}
    <${ErrorLine} error=${error ?? jobs.error} />
    ${open
      ? html`<table>
          <thead><tr>${readOnly ? null : html`<th><span class="sr">select</span></th>`}<th>Id</th><th>Status</th><th>Queue</th><th>Type</th><th>Attempt</th><th>Updated</th></tr></thead>
          <tbody>${(jobs.data?.jobs ?? []).map(
            (j) => html`<tr key=${j.id}>
              ${readOnly ? null : html`<td><input type="checkbox" aria-label=${`select job ${j.id}`} checked=${selected.has(j.id)} onChange=${() => toggle(j.id)} /></td>`}
              <td><a href=${`#/jobs/${j.id}`}>${j.id}</a></td><td><${Status} status=${j.status} /></td><td>${j.queue}</td><td>${j.type}</td><td>${j.attempt}</td><td><${Time} at=${j.updatedAt} /></td>
            </tr>`,
          )}</tbody>
        </table>
        ${group.count > 50 ? html`<p class="muted small">The newest 50 of ${count(group.count)}; "all matching" acts on every one.</p>` : null}`
      : null}
  </article>`;
}
