/**
 * The live feed (GET /v1/events) as state the pages subscribe to: the shared summary, whether the
 * master is reachable (and since when it is not), whether it came back after a restart, and the
 * change notices that make pages refetch what they show. The feed is closed while the tab is
 * hidden or the person pressed pause, and opened again (with a refetch) when that ends.
 */
import { useEffect, useState } from 'preact/hooks';

export type Connection = 'connecting' | 'live' | 'away' | 'paused' | 'hidden';

export interface Summary {
  version: string;
  state: string;
  startedAt: string | null;
  uptimeMs: number;
  counts: Record<string, number>;
  submittedTotal: number;
  finishedTotal: number;
  queueWaitP50Ms: number;
  queueWaitP95Ms: number;
  queues: Array<{ name: string; paused: boolean; counts: Record<string, number>; oldestQueuedAt: string | null }>;
  workers: Array<{
    id: string;
    hostname: string;
    pid: number;
    alive: boolean;
    draining: boolean;
    concurrency: number;
    busy: number;
    jobsDone: number;
    lastHeartbeatAt: string | null;
    connectedAt: string | null;
    queues: string[];
    jobTypes: string[];
    runningJobIds: string[];
  }>;
  throughput: { stepMs: number; points: Array<[number, number, number]>; outPerSecondByQueue: Record<string, number> };
  epoch: string;
}

export interface ChangeNotice {
  /** Refetch everything (first connect, reconnect, restart, missed notices). */
  reset: boolean;
  ids: string[];
  queues: string[];
  statuses: string[];
}

export interface LiveState {
  connection: Connection;
  summary: Summary | null;
  awaySince: number | null;
  /** Set for a while after the master answered again; `restarted` when it is a new process. */
  back: { at: number; restarted: boolean } | null;
}

const RECONNECT_MS = 2000;
const BACK_SHOWN_MS = 15_000;

class LiveFeed {
  state: LiveState = { connection: 'connecting', summary: null, awaySince: null, back: null };
  private source: EventSource | null = null;
  private epoch: string | null = null;
  private paused = false;
  private retry: number | null = null;
  private backTimer: number | null = null;
  private readonly listeners = new Set<(s: LiveState) => void>();
  private readonly changeListeners = new Set<(n: ChangeNotice) => void>();

  start(): void {
    document.addEventListener('visibilitychange', () => this.sync(true));
    this.sync(false);
  }

  private set(patch: Partial<LiveState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l(this.state);
  }

  subscribe(listener: (s: LiveState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onChange(listener: (n: ChangeNotice) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private notify(notice: ChangeNotice): void {
    for (const l of this.changeListeners) l(notice);
  }

  togglePause(): void {
    this.paused = !this.paused;
    this.sync(true);
  }

  /** Opens or closes the feed to match visibility and the pause button. */
  private sync(refetch: boolean): void {
    const hidden = document.visibilityState === 'hidden';
    if (hidden || this.paused) {
      this.close();
      this.set({ connection: hidden ? 'hidden' : 'paused' });
      return;
    }
    if (this.source) return;
    this.connect();
    if (refetch) this.notify({ reset: true, ids: [], queues: [], statuses: [] });
  }

  private close(): void {
    this.source?.close();
    this.source = null;
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
  }

  private connect(): void {
    const source = new EventSource('/v1/events');
    this.source = source;
    if (this.state.connection !== 'away') this.set({ connection: 'connecting' });
    source.addEventListener('hello', (e) => {
      const hello = JSON.parse((e as MessageEvent).data) as { epoch: string };
      const restarted = this.epoch !== null && hello.epoch !== this.epoch;
      const wasAway = this.state.connection === 'away';
      this.epoch = hello.epoch;
      this.set({ connection: 'live', awaySince: null, back: wasAway || restarted ? { at: Date.now(), restarted } : this.state.back });
      if (wasAway || restarted) {
        if (this.backTimer !== null) clearTimeout(this.backTimer);
        this.backTimer = window.setTimeout(() => this.set({ back: null }), BACK_SHOWN_MS);
        this.notify({ reset: true, ids: [], queues: [], statuses: [] });
      }
    });
    source.addEventListener('summary', (e) => this.set({ summary: JSON.parse((e as MessageEvent).data) as Summary }));
    source.addEventListener('change', (e) => this.notify({ reset: false, ...(JSON.parse((e as MessageEvent).data) as Omit<ChangeNotice, 'reset'>) }));
    source.addEventListener('reset', () => this.notify({ reset: true, ids: [], queues: [], statuses: [] }));
    source.onerror = () => {
      if (this.source !== source) return;
      if (this.state.connection !== 'away') this.set({ connection: 'away', awaySince: Date.now(), back: null });
      // EventSource retries by itself after a dropped stream, but gives up after a refused one.
      if (source.readyState === EventSource.CLOSED) {
        this.source = null;
        this.retry = window.setTimeout(() => {
          this.retry = null;
          if (!this.source && !this.paused && document.visibilityState !== 'hidden') this.connect();
        }, RECONNECT_MS);
      }
    };
  }
}

export const live = new LiveFeed();

export function useLive(): LiveState {
  const [state, setState] = useState(live.state);
  useEffect(() => live.subscribe(setState), []);
  return state;
}

/**
 * Data for a page: fetched on mount and when `deps` change, and again on every change notice
 * that `affects` says concerns it (and on every reset). The last good data stays on screen
 * while a refetch fails; the error is shown beside it.
 */
export function useData<T>(load: () => Promise<T>, deps: unknown[], affects: (n: ChangeNotice) => boolean = () => true) {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({ data: null, error: null, loading: true });
  const [version, setVersion] = useState(0);
  useEffect(() => live.onChange((n) => (n.reset || affects(n)) && setVersion((v) => v + 1)), deps);
  useEffect(() => {
    let current = true;
    load().then(
      (data) => current && setState({ data, error: null, loading: false }),
      (error: Error) => current && setState((s) => ({ data: s.data, error: error.message, loading: false })),
    );
    return () => {
      current = false;
    };
  }, [...deps, version]);
  return { ...state, reload: () => setVersion((v) => v + 1) };
}
