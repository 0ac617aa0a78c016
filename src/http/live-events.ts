/**
 * GET /v1/events: the dashboard's live feed, as server-sent events.
 *
 * Protocol (every event has an id `<epoch>-<seq>`; the epoch is new with every master process):
 * - `hello` first: `{ epoch, version, startedAt }`, so a page that reconnects learns whether the
 *   master restarted (another epoch) or it merely lost the connection;
 * - `change`: small notices of job changes, at most one a second:
 *   `{ count, ids (up to 50), queues, statuses }`; the page refetches what it shows;
 * - `summary`: the overview (stats, throughput), computed at most once a second, only while at
 *   least one client is connected, and shared by all of them; sent when it changed;
 * - `reset`: a client came back with a Last-Event-ID older than the notices kept (or from an
 *   earlier process): it should refetch everything;
 * - a comment line (`: ping`) every 15 s, so proxies and the page see a live connection.
 * After a `Last-Event-ID` of this epoch, the notices missed are replayed before anything else.
 * The stream is exempt from request timeouts: it is meant to stay open.
 */
import type { ServerResponse } from 'node:http';
import type { Master } from '../master/master.js';
import type { RequestContext } from './router.js';

export const HEARTBEAT_MS = 15_000;
export const TICK_MS = 1_000;
/** Summaries are sent at least this often even when nothing changed (heartbeat ages move). */
const SUMMARY_REFRESH_MS = 5_000;
const KEPT_NOTICES = 200;
const IDS_PER_NOTICE = 50;
/** Streams open at once; beyond this a new one gets 503 (a page retries). */
export const MAX_EVENT_STREAMS = 256;

interface Notice {
  seq: number;
  text: string;
}

export class LiveEvents {
  private readonly clients = new Set<ServerResponse>();
  readonly epoch = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  private seq = 0;
  private readonly kept: Notice[] = [];
  private pending = { count: 0, ids: new Set<number>(), queues: new Set<string>(), statuses: new Set<string>() };
  private unsubscribe: (() => void) | null = null;
  private tick: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private lastSummary = '';
  private lastSummaryAt = 0;
  private dirty = true;

  constructor(
    private readonly master: Master,
    private readonly summary: () => unknown,
  ) {}

  get watching(): number {
    return this.clients.size;
  }

  /** Something changed that is not a job (a queue paused): the next tick sends a summary. */
  touch(): void {
    this.dirty = true;
  }

  handle(ctx: RequestContext): void {
    const { req, res } = ctx;
    if (this.clients.size >= MAX_EVENT_STREAMS) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5' });
      res.end(`too many event streams open (${MAX_EVENT_STREAMS}); try again later\n`);
      return;
    }
    // A stream is meant to stay open: no idle or request timeout may end it.
    req.socket.setTimeout(0);
    req.socket.setNoDelay(true);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    res.write('retry: 2000\n\n');
    res.write(this.frame('hello', { epoch: this.epoch, version: this.master.version, startedAt: this.master.stats().startedAt }, this.seq));
    this.replay(res, req.headers['last-event-id']);
    res.write(this.frame('summary', this.summaryText(), this.seq, true));
    this.clients.add(res);
    const drop = () => this.remove(res);
    res.on('close', drop);
    res.on('error', drop);
    if (this.clients.size === 1) this.begin();
  }

  private replay(res: ServerResponse, lastEventId: string | string[] | undefined): void {
    if (typeof lastEventId !== 'string' || lastEventId === '') return;
    const [epoch, seqText] = lastEventId.split('-');
    const seq = Number(seqText);
    const oldest = this.kept.length > 0 ? this.kept[0].seq : this.seq + 1;
    if (epoch !== this.epoch || !Number.isSafeInteger(seq) || seq > this.seq || seq < oldest - 1) {
      res.write(this.frame('reset', { reason: epoch !== this.epoch ? 'restarted' : 'missed' }, this.seq));
      return;
    }
    for (const notice of this.kept) if (notice.seq > seq) res.write(notice.text);
  }

  private begin(): void {
    this.unsubscribe = this.master.watch((change) => {
      const p = this.pending;
      p.count++;
      if (p.ids.size < IDS_PER_NOTICE) p.ids.add(change.id);
      p.queues.add(change.queue);
      p.statuses.add(change.status);
    });
    this.dirty = true;
    this.tick = setInterval(() => this.onTick(), TICK_MS);
    this.heartbeat = setInterval(() => this.broadcast(': ping\n\n'), HEARTBEAT_MS);
  }

  private end(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.tick) clearInterval(this.tick);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.tick = this.heartbeat = null;
    this.pending = { count: 0, ids: new Set(), queues: new Set(), statuses: new Set() };
  }

  private remove(res: ServerResponse): void {
    if (!this.clients.delete(res)) return;
    if (this.clients.size === 0) this.end();
  }

  private onTick(): void {
    const p = this.pending;
    if (p.count > 0) {
      this.pending = { count: 0, ids: new Set(), queues: new Set(), statuses: new Set() };
      const text = this.frame('change', { count: p.count, ids: [...p.ids].map(String), queues: [...p.queues], statuses: [...p.statuses] }, ++this.seq);
      this.kept.push({ seq: this.seq, text });
      if (this.kept.length > KEPT_NOTICES) this.kept.shift();
      this.broadcast(text);
      this.dirty = true;
    }
    const stale = Date.now() - this.lastSummaryAt >= SUMMARY_REFRESH_MS;
    if (!this.dirty && !stale) return;
    const before = this.lastSummary;
    const text = this.summaryText();
    if (text !== before) this.broadcast(this.frame('summary', text, this.seq, true));
  }

  /** The shared summary, computed at most once a tick however many clients ask. */
  private summaryText(): string {
    const now = Date.now();
    if (this.lastSummary === '' || now - this.lastSummaryAt >= TICK_MS - 50) {
      this.lastSummary = JSON.stringify(this.summary());
      this.lastSummaryAt = now;
      this.dirty = false;
    }
    return this.lastSummary;
  }

  private frame(event: string, data: unknown, seq: number, raw = false): string {
    return `id: ${this.epoch}-${seq}\nevent: ${event}\ndata: ${raw ? (data as string) : JSON.stringify(data)}\n\n`;
  }

  private broadcast(text: string): void {
    for (const res of this.clients) res.write(text);
  }

  /** Ends every stream (the gateway is stopping). */
  close(): void {
    for (const res of this.clients) res.end();
    this.clients.clear();
    this.end();
  }
}
