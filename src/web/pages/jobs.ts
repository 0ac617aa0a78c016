/**
 * Jobs: filtered by status, queue, type, worker and error text, newest or oldest first, in
 * keyset pages (the master never scans an offset). The id and created columns sort on the
 * master (they are the keyset order); the others sort the page shown.
 */
import { html } from 'htm/preact';
import { useMemo, useState } from 'preact/hooks';
import { get, query } from '../api.js';
import { ErrorLine, Status, Time } from '../components.js';
import { useData } from '../live.js';
import { STATUSES } from './overview.js';

export interface JobRow {
  id: string;
  status: string;
  queue: string;
  type: string;
  attempt: number;
  maxRetries: number;
  workerId: string | null;
  error: string | null;
  progress: number;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

type SortKey = 'status' | 'queue' | 'type' | 'attempt' | 'updatedAt';

export function Jobs({ params, go }: { params: URLSearchParams; go: (hash: string) => void }) {
  const filter = {
    status: params.get('status') ?? '',
    queue: params.get('queue') ?? '',
    type: params.get('type') ?? '',
    worker: params.get('worker') ?? '',
    error_contains: params.get('error') ?? '',
    newest_first: params.get('order') !== 'oldest',
  };
  const [pages, setPages] = useState<string[]>(['']);
  const token = pages[pages.length - 1];
  const [sort, setSort] = useState<{ key: SortKey; down: boolean } | null>(null);
  const key = JSON.stringify(filter);
  const { data, error } = useData(
    () => get<{ jobs: JobRow[]; nextPageToken: string }>(`/v1/jobs${query({ ...filter, limit: 50, page_token: token })}`),
    [key, token],
    (n) => (!filter.queue || n.queues.includes(filter.queue)) && (!filter.status || n.statuses.includes(filter.status) || pages.length === 1),
  );
  const rows = useMemo(() => {
    const list = data?.jobs ?? [];
    if (!sort) return list;
    const sign = sort.down ? -1 : 1;
    return [...list].sort((a, b) => (a[sort.key] < b[sort.key] ? -sign : a[sort.key] > b[sort.key] ? sign : 0));
  }, [data, sort]);

  const setParam = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setPages(['']);
    go(`#/jobs${next.toString() ? `?${next}` : ''}`);
  };
  const header = (label: string, k: SortKey) =>
    html`<th aria-sort=${sort?.key === k ? (sort.down ? 'descending' : 'ascending') : 'none'}>
      <button class="th" onClick=${() => setSort(sort?.key === k ? { key: k, down: !sort.down } : { key: k, down: false })}>${label}${sort?.key === k ? (sort.down ? ' ▼' : ' ▲') : ''}</button>
    </th>`;
  const order = filter.newest_first ? 'newest' : 'oldest';
  return html`<section>
    <h1>Jobs</h1>
    <form class="filters" onSubmit=${(e: Event) => {
      e.preventDefault();
      const f = new FormData(e.target as HTMLFormElement);
      const id = String(f.get('id') ?? '').trim();
      if (id) return go(`#/jobs/${encodeURIComponent(id)}`);
      const next = new URLSearchParams();
      for (const name of ['status', 'queue', 'type', 'worker', 'error', 'order']) {
        const v = String(f.get(name) ?? '').trim();
        if (v && !(name === 'order' && v === 'newest')) next.set(name, v);
      }
      setPages(['']);
      go(`#/jobs${next.toString() ? `?${next}` : ''}`);
    }}>
      <label>Status <select name="status" value=${filter.status} onChange=${(e: Event) => setParam('status', (e.target as HTMLSelectElement).value)}>
        <option value="">any</option>
        ${STATUSES.map((s) => html`<option value=${s}>${s.replace('_', ' ')}</option>`)}
      </select></label>
      <label>Queue <input name="queue" value=${filter.queue} size="10" /></label>
      <label>Type <input name="type" value=${filter.type} size="10" /></label>
      <label>Worker <input name="worker" value=${filter.worker} size="8" /></label>
      <label>Error contains <input name="error" value=${filter.error_contains} size="14" /></label>
      <label>Order <select name="order" value=${order} onChange=${(e: Event) => setParam('order', (e.target as HTMLSelectElement).value === 'oldest' ? 'oldest' : '')}>
        <option value="newest">newest first</option><option value="oldest">oldest first</option>
      </select></label>
      <label>Id <input name="id" size="8" inputmode="numeric" placeholder="go to" /></label>
      <button type="submit">Apply</button>
    </form>
    <${ErrorLine} error=${error} />
    <table class="jobs" data-testid="jobs-table">
      <thead><tr>
        <th aria-sort=${filter.newest_first ? 'descending' : 'ascending'}><button class="th" onClick=${() => setParam('order', filter.newest_first ? 'oldest' : '')}>Id ${filter.newest_first ? '▼' : '▲'}</button></th>
        ${header('Status', 'status')}${header('Queue', 'queue')}${header('Type', 'type')}${header('Attempt', 'attempt')}
        <th>Worker</th><th>Created</th>${header('Updated', 'updatedAt')}<th>Error</th>
      </tr></thead>
      <tbody>
        ${rows.map(
          (j) => html`<tr key=${j.id}>
            <td><a href=${`#/jobs/${j.id}`}>${j.id}</a></td><td><${Status} status=${j.status} /></td><td>${j.queue}</td><td>${j.type}</td>
            <td>${j.attempt}/${j.maxRetries + 1}</td><td>${j.workerId ?? ''}</td><td><${Time} at=${j.createdAt} /></td><td><${Time} at=${j.updatedAt} /></td>
            <td class="err" title=${j.error ?? ''}>${j.error ?? ''}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${data && data.jobs.length === 0 ? html`<p class="muted">No jobs match.</p>` : null}
    <nav class="pager" aria-label="pages">
      <button disabled=${pages.length === 1} onClick=${() => setPages([''])}>First</button>
      <button disabled=${pages.length === 1} onClick=${() => setPages(pages.slice(0, -1))}>Previous</button>
      <span class="muted">page ${pages.length}</span>
      <button disabled=${!data?.nextPageToken} onClick=${() => data && setPages([...pages, data.nextPageToken])}>Next</button>
    </nav>
  </section>`;
}
