/**
 * The runnable set's dispatch order: priority first, then jobs put back at the front, then order
 * of arrival; only the queues and types a worker asked for; paused queues never.
 */
import { describe, expect, it } from 'vitest';
import { RunnableSet } from '../../../src/master/runnable-set.js';

const ALL_TYPES = new Set(['a', 'b', 'c']);
const NONE_PAUSED = new Set<string>();
const job = (id: number, priority = 5, extra: { queue?: string; type?: string; front?: boolean } = {}) => ({
  id,
  queue: extra.queue ?? 'default',
  type: extra.type ?? 'a',
  priority,
  front: extra.front ?? false,
});

function drain(set: RunnableSet, queues = new Set(['default']), types = ALL_TYPES, paused = NONE_PAUSED): number[] {
  const ids: number[] = [];
  for (let pick = set.take(queues, types, paused); pick; pick = set.take(queues, types, paused)) ids.push(pick.id);
  return ids;
}

describe('RunnableSet', () => {
  it('given jobs of mixed priorities, when taken, then lower priority numbers come first', () => {
    const set = new RunnableSet();
    [job(1, 9), job(2, 0), job(3, 5), job(4, 10), job(5, 3)].forEach((j) => set.add(j));
    expect(drain(set)).toEqual([2, 5, 3, 1, 4]);
    expect(set.size).toBe(0);
  });

  it('given many jobs of one priority, when taken, then in order of arrival (even past the ring buffer growing)', () => {
    const set = new RunnableSet();
    for (let id = 1; id <= 100; id++) set.add(job(id));
    expect(drain(set)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('given arrival order across types of one queue, when taken, then the oldest id wins between buckets', () => {
    const set = new RunnableSet();
    [job(3, 5, { type: 'b' }), job(1, 5, { type: 'a' }), job(4, 5, { type: 'a' }), job(2, 5, { type: 'c' })].forEach((j) => set.add(j));
    expect(drain(set)).toEqual([1, 2, 3, 4]);
  });

  it('given jobs put back at the front, when taken, then they go before arrivals of their priority but after better priorities', () => {
    const set = new RunnableSet();
    set.add(job(1, 5));
    set.add(job(2, 5));
    set.add(job(3, 2));
    set.add(job(10, 5, { front: true }));
    set.add(job(11, 5, { front: true }));
    // The most recently returned goes first among front jobs.
    expect(drain(set)).toEqual([3, 11, 10, 1, 2]);
  });

  it('given front jobs in two types, when taken, then a front job beats an older arrival in another bucket', () => {
    const set = new RunnableSet();
    set.add(job(1, 5, { type: 'a' }));
    set.add(job(9, 5, { type: 'b', front: true }));
    expect(drain(set)).toEqual([9, 1]);
  });

  it('given a worker of some types only, when it takes, then it gets only those types and the rest stay', () => {
    const set = new RunnableSet();
    [job(1, 0, { type: 'a' }), job(2, 5, { type: 'b' }), job(3, 9, { type: 'c' })].forEach((j) => set.add(j));
    expect(set.hasWork(new Set(['default']), new Set(['x']), NONE_PAUSED)).toBe(false);
    expect(drain(set, new Set(['default']), new Set(['b', 'c']))).toEqual([2, 3]);
    expect(set.size).toBe(1);
    expect(drain(set)).toEqual([1]);
  });

  it('given jobs in several queues, when a worker of some queues takes, then it only sees those queues', () => {
    const set = new RunnableSet();
    [job(1, 5, { queue: 'mail' }), job(2, 0, { queue: 'video' }), job(3, 5, { queue: 'default' })].forEach((j) => set.add(j));
    expect(drain(set, new Set(['mail', 'default']))).toEqual([1, 3]);
    expect(set.depthByQueue().get('video')).toBe(1);
  });

  it('given a paused queue, when a worker takes, then nothing comes from it until it is resumed', () => {
    const set = new RunnableSet();
    [job(1, 0, { queue: 'mail' }), job(2, 5)].forEach((j) => set.add(j));
    const queues = new Set(['mail', 'default']);
    const paused = new Set(['mail']);
    expect(set.hasWork(new Set(['mail']), ALL_TYPES, paused)).toBe(false);
    expect(drain(set, queues, ALL_TYPES, paused)).toEqual([2]);
    expect(set.take(queues, ALL_TYPES, paused)).toBeNull();
    expect(set.hasWork(queues, ALL_TYPES, NONE_PAUSED)).toBe(true);
    expect(drain(set, queues)).toEqual([1]);
  });

  it('given queued jobs, when one is removed (cancelled), then it is never taken and the size drops; removing twice is a no-op', () => {
    const set = new RunnableSet();
    [job(1), job(2), job(3), job(4, 5, { front: true })].forEach((j) => set.add(j));
    expect(set.remove(job(2))).toBe(true);
    expect(set.remove(job(4))).toBe(true);
    expect(set.remove(job(2))).toBe(false);
    expect(set.remove(job(99, 5, { queue: 'nowhere' }))).toBe(false);
    expect(set.size).toBe(2);
    expect(drain(set)).toEqual([1, 3]);
  });

  it('given a ring buffer that has wrapped around, when a job is removed and more arrive, then the order of the rest is kept', () => {
    const set = new RunnableSet();
    const queues = new Set(['default']);
    for (let id = 1; id <= 16; id++) set.add(job(id));
    for (let i = 0; i < 5; i++) set.take(queues, ALL_TYPES, NONE_PAUSED);
    // 17..21 land in the slots freed at the start of the buffer; 22.. make it grow while wrapped.
    for (let id = 17; id <= 40; id++) set.add(job(id));
    expect(set.remove(job(18))).toBe(true);
    expect(set.remove(job(8))).toBe(true);
    const expected = Array.from({ length: 35 }, (_, i) => i + 6).filter((id) => id !== 18 && id !== 8);
    expect(drain(set)).toEqual(expected);
  });

  it('given queued jobs, then oldestId and depthByQueue report the queue', () => {
    const set = new RunnableSet();
    [job(7, 0), job(3, 9), job(5, 5, { front: true }), job(1, 0, { queue: 'other' })].forEach((j) => set.add(j));
    expect(set.oldestId('default')).toBe(3);
    expect(set.oldestId('empty')).toBeNull();
    expect(Object.fromEntries(set.depthByQueue())).toEqual({ default: 3, other: 1 });
  });

  it('given a take, then the pick reports the job queue, type and priority', () => {
    const set = new RunnableSet();
    set.add(job(4, 2, { queue: 'q', type: 'b' }));
    expect(set.take(new Set(['q']), ALL_TYPES, NONE_PAUSED)).toEqual({ id: 4, queue: 'q', type: 'b', priority: 2 });
  });
});
