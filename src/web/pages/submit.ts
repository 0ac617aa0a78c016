/**
 * Submit a job: the same fields, validation and errors as POST /v1/jobs (the master judges; the
 * page only says what it answered). Durations take units as the CLI does (5s, 500ms).
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { ErrorLine } from '../components.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "5s" -> 5000; null when empty; throws naming the field when it has no unit. */
function ms(text: string, field: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(t);
  if (!m) throw new Error(`${field}: "${t}" is not a duration; write 5s, 500ms, 2m or 1h`);
  return Math.round(Number(m[1]) * UNITS[m[2]]);
}

export function Submit({ go }: { go: (hash: string) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const s = (name: string) => String(f.get(name) ?? '').trim();
    setError(null);
    let job: Record<string, unknown>;
    try {
      job = { type: s('type') };
      const payloadText = String(f.get('payload') ?? '');
      if (payloadText.trim() !== '') {
        try {
          job.payload = JSON.parse(payloadText);
        } catch (err) {
          if (/^\s*[[{"]/.test(payloadText)) throw new Error(`payload: not valid JSON (${(err as Error).message})`);
          job.payload = payloadText;
          job.content_type = 'text/plain';
        }
      }
      if (s('queue')) job.queue = s('queue');
      for (const [name, field] of [['priority', 'priority'], ['retries', 'max_retries']] as const) {
        if (s(name) === '') continue;
        const n = Number(s(name));
        if (!Number.isInteger(n)) throw new Error(`${name}: "${s(name)}" is not a whole number`);
        job[field] = n;
      }
      const timeout = ms(s('timeout'), 'timeout');
      if (timeout !== null) job.timeout_ms = timeout;
      const delay = ms(s('delay'), 'delay');
      if (delay !== null) job.delay_ms = delay;
      if (s('key')) job.idempotency_key = s('key');
    } catch (err) {
      setError((err as Error).message);
      return;
    }
    setBusy(true);
    try {
      const created = await post<{ id: string; duplicate: boolean }>('/v1/jobs', job);
      go(`#/jobs/${created.id}`);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return html`<section>
    <h1>Submit a job</h1>
    <form class="submit" onSubmit=${onSubmit}>
      <label>Type <input name="type" required placeholder="echo" autocomplete="off" /></label>
      <label class="wide">Payload (JSON, or plain text) <textarea name="payload" rows="8" spellcheck="false" placeholder='{"hello": "world"}'></textarea></label>
      <label>Queue <input name="queue" placeholder="default" /></label>
      <label>Priority <input name="priority" inputmode="numeric" placeholder="0" /></label>
      <label>Retries <input name="retries" inputmode="numeric" placeholder="3" /></label>
      <label>Timeout <input name="timeout" placeholder="30s" /></label>
      <label>Delay <input name="delay" placeholder="0s" /></label>
      <label>Idempotency key <input name="key" /></label>
      <div class="wide"><button type="submit" class="primary" disabled=${busy}>Submit</button></div>
    </form>
    <${ErrorLine} error=${error} />
  </section>`;
}
