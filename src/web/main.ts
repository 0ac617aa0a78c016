/**
 * The Nucleus dashboard: one page, routed by the URL's hash (#/jobs?status=failed), so that
 * the master serves a single document at any --ui-path. It asks for the token when the master
 * has one, then opens the live feed and shows the page asked for.
 */
import { html, render } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, pageConfig, post, session, type Session } from './api.js';
import { absolute, setTimeZone, timeZone, type TimeZoneSetting } from './format.js';
import { live, useLive, type LiveState } from './live.js';
import { Failed } from './pages/failed.js';
import { Job } from './pages/job.js';
import { Jobs } from './pages/jobs.js';
import { Overview } from './pages/overview.js';
import { Queues } from './pages/queues.js';
import { Submit } from './pages/submit.js';
import { Workers } from './pages/workers.js';

const config = pageConfig();

function useHash(): string {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const on = () => setHash(location.hash || '#/');
    // Effects run after paint: a hash changed in between would otherwise be missed.
    on();
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash;
}

const go = (hash: string) => {
  location.hash = hash;
};

const NAV: Array<[string, string]> = [
  ['#/', 'Overview'],
  ['#/queues', 'Queues'],
  ['#/jobs', 'Jobs'],
  ['#/failed', 'Failed'],
  ['#/workers', 'Workers'],
  ['#/submit', 'Submit'],
];

function Banner({ state }: { state: LiveState }) {
  if (state.connection === 'away') {
    return html`<div class="banner away" role="alert" data-testid="banner-away">
      The master is not answering (since ${absolute(state.awaySince)}). Retrying every 2 s; what you see may be out of date.
    </div>`;
  }
  if (state.back) {
    return html`<div class="banner back" role="status" data-testid="banner-back">
      The master is back${state.back.restarted ? ' (it restarted)' : ''} at ${absolute(state.back.at)}; the page is up to date again.
    </div>`;
  }
  return null;
}

function LiveControl({ state }: { state: LiveState }) {
  const label = { connecting: 'connecting…', live: 'live', away: 'away', paused: 'paused', hidden: 'paused (tab hidden)' }[state.connection];
  return html`<span class="live-control">
    <span class=${`dot c-${state.connection}`} aria-hidden="true"></span><span data-testid="connection">${label}</span>
    <button onClick=${() => live.togglePause()} aria-pressed=${state.connection === 'paused'}>${state.connection === 'paused' ? 'Resume live' : 'Pause live'}</button>
  </span>`;
}

function ZoneControl() {
  const [zone, setZone] = useState<TimeZoneSetting>(timeZone());
  return html`<label class="zone">Times in <select value=${zone} onChange=${(e: Event) => {
    const value = (e.target as HTMLSelectElement).value as TimeZoneSetting;
    setTimeZone(value);
    setZone(value);
  }}><option value="local">local time</option><option value="utc">UTC</option></select></label>`;
}

function Page({ hash, readOnly, summary }: { hash: string; readOnly: boolean; summary: LiveState['summary'] }) {
  const [path, q = ''] = hash.slice(1).split('?');
  const params = new URLSearchParams(q);
  const job = /^\/jobs\/([^/]+)$/.exec(path);
  if (job) return html`<${Job} id=${decodeURIComponent(job[1])} readOnly=${readOnly} />`;
  switch (path) {
    case '/':
    case '':
      return html`<${Overview} summary=${summary} />`;
    case '/queues':
      return html`<${Queues} summary=${summary} readOnly=${readOnly} />`;
    case '/jobs':
      return html`<${Jobs} params=${params} go=${go} />`;
    case '/failed':
      return html`<${Failed} params=${params} go=${go} readOnly=${readOnly} />`;
    case '/workers':
      return html`<${Workers} summary=${summary} />`;
    case '/submit':
      return readOnly ? html`<p>This dashboard is read-only (--ui read-only): jobs cannot be submitted here.</p>` : html`<${Submit} go=${go} />`;
    default:
      return html`<p>No page ${path}. <a href="#/">Overview</a></p>`;
  }
}

function Shell({ who }: { who: Session }) {
  const hash = useHash();
  const state = useLive();
  const readOnly = who.readOnly;
  const current = '#' + hash.slice(1).split('?')[0];
  const here = (href: string) => (href === '#/' ? current === '#/' : current.startsWith(href));
  useEffect(() => live.start(), []);
  return html`<div class="shell">
    <header class="top">
      <a class="brand" href="#/">Nucleus</a>
      <nav aria-label="pages">${NAV.filter(([href]) => !(readOnly && href === '#/submit')).map(([href, label]) => html`<a href=${href} aria-current=${here(href) ? 'page' : undefined}>${label}</a>`)}</nav>
      <span class="spacer"></span>
      ${readOnly ? html`<span class="status s-paused" title="--ui read-only">read-only</span>` : null}
      <${LiveControl} state=${state} />
      <${ZoneControl} />
      ${who.tokenRequired ? html`<button onClick=${() => post('/v1/ui/logout').then(() => location.reload())}>Sign out</button>` : null}
    </header>
    <${Banner} state=${state} />
    <main id="main"><${Page} hash=${hash} readOnly=${readOnly} summary=${state.summary} /></main>
    <footer class="muted small">nucleus ${who.version}</footer>
  </div>`;
}

function Login({ onIn }: { onIn: () => void }) {
  const [error, setError] = useState<string | null>(null);
  return html`<main class="login">
    <h1>Nucleus</h1>
    <form onSubmit=${async (e: Event) => {
      e.preventDefault();
      const token = String(new FormData(e.target as HTMLFormElement).get('token') ?? '');
      setError(null);
      try {
        await post('/v1/ui/login', { token });
        onIn();
      } catch (err) {
        setError((err as Error).message);
      }
    }}>
      <label>This master asks for its token <input type="password" name="token" required autocomplete="current-password" autofocus /></label>
      <button type="submit" class="primary">Sign in</button>
      ${error ? html`<p class="error" role="alert" data-testid="login-error">${error}</p>` : null}
    </form>
  </main>`;
}

function App() {
  const [who, setWho] = useState<Session | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    session().then(setWho, (e: ApiError) => {
      setError(e.message);
      window.setTimeout(load, 2000);
    });
  useEffect(() => void load(), []);
  if (!who) return html`<main class="login">${error ? html`<p class="error" role="alert">${error}; retrying…</p>` : html`<p class="muted">Loading…</p>`}</main>`;
  if (!who.signedIn) return html`<${Login} onIn=${load} />`;
  return html`<${Shell} who=${who} />`;
}

document.title = `Nucleus ${config.version ?? ''}`.trim();
render(html`<${App} />`, document.getElementById('app')!);
