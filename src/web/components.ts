/**
 * Small pieces every page uses. Everything a job carries (payload, result, error, names) reaches
 * the DOM as text nodes through Preact, never as HTML.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { absolute, relative } from './format.js';
import type { ComponentChildren } from 'preact';

const tickers = new Set<() => void>();
window.setInterval(() => tickers.forEach((t) => t()), 5000);

/** Re-renders every 5 s so relative times move. */
export function useTick(): number {
  const [n, setN] = useState(0);
  useEffect(() => {
    const t = () => setN((x) => x + 1);
    tickers.add(t);
    return () => void tickers.delete(t);
  }, []);
  return n;
}

export function Time({ at }: { at: string | number | null }) {
  useTick();
  if (at === null || at === '') return html`<span class="muted">—</span>`;
  const iso = new Date(at).toISOString();
  return html`<time datetime=${iso} title=${`${absolute(at)} · ${iso.replace('T', ' ').replace(/\.\d+Z$/, '')} UTC`}>${relative(at)}</time>`;
}

export function Status({ status }: { status: string }) {
  return html`<span class=${`status s-${status}`}>${status.replace('_', ' ')}</span>`;
}

export function Link({ href, children, class: cls }: { href: string; children: ComponentChildren; class?: string }) {
  return html`<a href=${href} class=${cls}>${children}</a>`;
}

export function ErrorLine({ error }: { error: string | null }) {
  return error ? html`<p class="error" role="alert">${error}</p>` : null;
}

const MAX_NODES = 1500;

/** A JSON value as a collapsible tree; past MAX_NODES nodes the rest is left out (and said so). */
export function JsonView({ value }: { value: unknown }) {
  let nodes = 0;
  const render = (v: unknown, key: string | null, depth: number): unknown => {
    nodes++;
    const label = key === null ? null : html`<span class="key">${key}</span>: `;
    if (nodes > MAX_NODES) return nodes === MAX_NODES + 1 ? html`<div class="muted">… more left out; download the whole value</div>` : null;
    if (v === null || typeof v !== 'object') {
      const cls = v === null ? 'null' : typeof v;
      return html`<div class="leaf">${label}<span class=${`v-${cls}`}>${JSON.stringify(v)}</span></div>`;
    }
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v as Record<string, unknown>);
    const open = Array.isArray(v) ? '[' : '{';
    const close = Array.isArray(v) ? ']' : '}';
    if (entries.length === 0) return html`<div class="leaf">${label}${open}${close}</div>`;
    return html`<details open=${depth < 2}>
      <summary>${label}${open}<span class="muted"> ${entries.length} ${Array.isArray(v) ? 'items' : 'keys'} </span></summary>
      <div class="nest">${entries.map(([k, x]) => render(x, Array.isArray(v) ? null : k, depth + 1))}</div>
      <div>${close}</div>
    </details>`;
  };
  return html`<div class="json">${render(value, null, 0)}</div>`;
}

export interface BytesView {
  contentType: string;
  bytes: number;
  cut: boolean;
  text: string | null;
}

/** A payload or result: a JSON tree when whole JSON, else text; cut ones have a download link. */
export function Bytes({ value, download }: { value: BytesView | null; download: string }) {
  if (value === null) return html`<p class="muted">none</p>`;
  let parsed: { ok: boolean; v?: unknown } = { ok: false };
  if (!value.cut && value.text !== null && value.contentType.startsWith('application/json')) {
    try {
      parsed = { ok: true, v: JSON.parse(value.text) };
    } catch {
      parsed = { ok: false };
    }
  }
  return html`<div>
    <p class="muted small">${value.contentType}, ${value.bytes} bytes${value.cut ? ', cut at 64 KiB' : ''} · <a href=${download} download>download</a></p>
    ${parsed.ok ? html`<${JsonView} value=${parsed.v} />` : value.text !== null ? html`<pre class="text">${value.text}</pre>` : html`<p class="muted">binary; download it to see it</p>`}
  </div>`;
}

/** In and out per second as two lines. */
export function Chart({ points }: { points: Array<[number, number, number]> }) {
  const w = 600;
  const h = 140;
  if (points.length < 2) return html`<p class="muted chart-empty">The chart fills in over the first minute (a point every 10 s).</p>`;
  const max = Math.max(1, ...points.map((p) => Math.max(p[1], p[2])));
  const x = (i: number) => (i / (points.length - 1)) * (w - 40) + 36;
  const y = (v: number) => h - 18 - (v / max) * (h - 30);
  const line = (k: 1 | 2) => points.map((p, i) => `${x(i).toFixed(1)},${y(p[k]).toFixed(1)}`).join(' ');
  const last = points[points.length - 1];
  return html`<figure class="chart">
    <svg viewBox=${`0 0 ${w} ${h}`} role="img" aria-label=${`Jobs per second over the last ${Math.round((points.length * 10) / 60)} minutes: in ${last[1]}, out ${last[2]} now`}>
      <line x1="36" x2=${w - 4} y1=${y(0)} y2=${y(0)} class="axis" />
      <line x1="36" x2=${w - 4} y1=${y(max)} y2=${y(max)} class="grid" />
      <text x="2" y=${y(max) + 4} class="tick">${max}</text>
      <text x="2" y=${y(0) + 4} class="tick">0</text>
      <polyline points=${line(1)} class="in" />
      <polyline points=${line(2)} class="out" />
    </svg>
    <figcaption><span class="key-in">in ${last[1]}/s</span> <span class="key-out">out ${last[2]}/s</span> <span class="muted">per second, 10 s steps, last 15 minutes</span></figcaption>
  </figure>`;
}

/** An inline "are you sure" with the count, so the action never runs on one stray click. */
export function Confirm({ text, onYes, onNo, busy }: { text: string; onYes: () => void; onNo: () => void; busy?: boolean }) {
  return html`<div class="confirm" role="alertdialog" aria-label=${text}>
    <span>${text}</span>
    <button class="danger" onClick=${onYes} disabled=${busy} autofocus>Yes, do it</button>
    <button onClick=${onNo} disabled=${busy}>No</button>
  </div>`;
}
