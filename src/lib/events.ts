/**
 * Typed events whose listeners cannot break their emitter: a listener that throws (or whose
 * promise rejects) is logged with the event's name, not swallowed and not thrown into the code
 * that emitted (a worker's stream handler, say).
 */
import type { Logger } from '../log.js';

type Listener<A> = (arg: A) => unknown;

export class TypedEvents<E extends object> {
  private readonly listeners = new Map<keyof E, Array<{ fn: Listener<never>; once: boolean }>>();

  constructor(private readonly eventLogger: () => Logger) {}

  on<K extends keyof E>(event: K, listener: (arg: E[K]) => unknown): this {
    return this.add(event, listener, false);
  }

  once<K extends keyof E>(event: K, listener: (arg: E[K]) => unknown): this {
    return this.add(event, listener, true);
  }

  off<K extends keyof E>(event: K, listener: (arg: E[K]) => unknown): this {
    const list = this.listeners.get(event);
    if (list) this.listeners.set(event, list.filter((l) => l.fn !== (listener as Listener<never>)));
    return this;
  }

  listenerCount(event: keyof E): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  protected emit<K extends keyof E>(event: K, arg: E[K]): void {
    const list = this.listeners.get(event);
    if (!list || list.length === 0) return;
    if (list.some((l) => l.once)) this.listeners.set(event, list.filter((l) => !l.once));
    for (const { fn } of list) {
      try {
        const returned = (fn as Listener<E[K]>)(arg);
        if (typeof (returned as Promise<unknown> | null)?.then === 'function') (returned as Promise<unknown>).catch((error: unknown) => this.listenerFailed(event, error));
      } catch (error) {
        this.listenerFailed(event, error);
      }
    }
  }

  private add<K extends keyof E>(event: K, listener: (arg: E[K]) => unknown, once: boolean): this {
    const list = this.listeners.get(event) ?? [];
    list.push({ fn: listener as Listener<never>, once });
    this.listeners.set(event, list);
    return this;
  }

  private listenerFailed(event: keyof E, error: unknown): void {
    this.eventLogger().error({ err: error, event: String(event) }, `a listener of "${String(event)}" threw`);
  }
}
