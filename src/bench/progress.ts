/**
 * The live progress line of `nucleus bench`: rewritten in place on a terminal (stderr), silent
 * otherwise, so that piped output and --json stay clean.
 */

export interface ProgressSnapshot {
  submitted: number;
  completed: number;
  total: number;
  elapsedMs: number;
  /** Recent submit ack p50, ms (NaN when none yet). */
  ackP50Ms: number;
}

export interface ProgressOptions {
  /** Where to write; a terminal only. */
  stream?: NodeJS.WriteStream;
  /** How often the line is redrawn, ms. */
  everyMs?: number;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** One line, e.g. `submitted 12,000/20,000 (9,800/s)  completed 11,500 (9,400/s)  ack p50 1.2 ms  3.1 s`. */
export function progressText(s: ProgressSnapshot): string {
  const secs = s.elapsedMs / 1000;
  const rate = (n: number) => (secs > 0 ? fmt(n / secs) : '0');
  const ack = Number.isFinite(s.ackP50Ms) ? `  ack p50 ${s.ackP50Ms.toFixed(1)} ms` : '';
  return `submitted ${fmt(s.submitted)}/${fmt(s.total)} (${rate(s.submitted)}/s)  completed ${fmt(s.completed)} (${rate(s.completed)}/s)${ack}  ${secs.toFixed(1)} s`;
}

export class ProgressLine {
  private timer: NodeJS.Timeout | null = null;
  private readonly stream: NodeJS.WriteStream;
  private drawn = false;

  constructor(
    private readonly snapshot: () => ProgressSnapshot,
    private readonly options: ProgressOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
  }

  /** Whether a line will be drawn at all. */
  get enabled(): boolean {
    return Boolean(this.stream.isTTY);
  }

  start(): this {
    if (!this.enabled) return this;
    this.timer = setInterval(() => this.draw(), this.options.everyMs ?? 250);
    this.timer.unref();
    return this;
  }

  private draw(): void {
    const columns = this.stream.columns || 120;
    this.stream.write(`\r${progressText(this.snapshot()).slice(0, columns - 1)}\x1b[K`);
    this.drawn = true;
  }

  /** Stops redrawing and clears the line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
