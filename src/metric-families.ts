/**
 * Counters and histograms for hot paths, exported through a prom-client Registry.
 *
 * Why not prom-client's own: a prom-client child (`counter.labels(...)`) hashes its label object on
 * every `inc()`/`observe()`, about 0.3 µs each, and a job change touches three or four of them.
 * Here a child is a plain object bound once per label set: `inc()` is one addition and `observe()`
 * a scan of the bucket bounds. The text is built only when Prometheus scrapes, in the format
 * prom-client writes (cumulative `_bucket` series with `le`, then `_sum` and `_count`).
 */
import type { Metric, Registry } from 'prom-client';

/** One counter series. */
export class CounterChild {
  value = 0;
  constructor(readonly labels: Record<string, string>) {}

  inc(by = 1): void {
    this.value += by;
  }
}

/** One histogram series: per-bucket counts (not cumulative), sum and count. */
export class HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

abstract class Family<Child extends { labels: Record<string, string> }> {
  private readonly children = new Map<string, Child>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series for these label values (in `labelNames` order), created on first use. */
  child(...values: string[]): Child {
    const key = values.join('\u0000');
    let child = this.children.get(key);
    if (!child) {
      if (values.length !== this.labelNames.length) throw new Error(`${this.name}: expected ${this.labelNames.length} label values, got ${values.length}`);
      child = this.create(Object.fromEntries(this.labelNames.map((name, i) => [name, values[i]])));
      this.children.set(key, child);
    }
    return child;
  }

  protected series(): Iterable<Child> {
    return this.children.values();
  }

  protected abstract create(labels: Record<string, string>): Child;

  /** Forgets every series (prom-client's Registry.resetMetrics calls this). */
  reset(): void {
    this.children.clear();
  }
}

export class CounterFamily extends Family<CounterChild> {
  readonly type = 'counter';

  protected create(labels: Record<string, string>): CounterChild {
    return new CounterChild(labels);
  }

  /** What prom-client's Registry reads at scrape time. */
  get() {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: 'sum',
      values: [...this.series()].map((c) => ({ labels: c.labels, value: c.value })),
    };
  }
}

export class HistogramFamily extends Family<HistogramChild> {
  readonly type = 'histogram';
  private readonly bounds: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[], registry: Registry) {
    super(name, help, labelNames, registry);
    this.bounds = [...buckets].sort((a, b) => a - b);
  }

  protected create(labels: Record<string, string>): HistogramChild {
    return new HistogramChild(labels, this.bounds);
  }

  get() {
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
    for (const c of this.series()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += c.counts[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { ...c.labels, le }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...c.labels, le: '+Inf' }, value: c.count });
      values.push({ metricName: `${this.name}_sum`, labels: c.labels, value: c.sum });
      values.push({ metricName: `${this.name}_count`, labels: c.labels, value: c.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: 'sum', values };
  }
}
