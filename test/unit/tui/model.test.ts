/**
 * The pure parts under the screen: text formatting, the `/` filter, the layout, and the figures
 * derived from the master's answers (throughput, per-queue rates, decoded payloads).
 */
import { describe, expect, it } from 'vitest';
import { cell, formatAge, formatRate, previewLines, progressBar, sparkline } from '../../../src/tui/format.js';
import { matchJobs, parseFilter } from '../../../src/tui/filter.js';
import { computeLayout, windowStart } from '../../../src/tui/layout.js';
import { QueueRates, ThroughputMeter, jobDetailFromProto, readableBytes } from '../../../src/tui/cluster-model.js';
import { GetStatsResponse, Job, JobEvent, JobStatus } from '../../../src/rpc/generated/nucleus/v1/jobs.js';
import { job } from './fixture.js';
import { preferProductionReact } from '../../../src/tui/react-mode.js';

describe('format', () => {
  it('sparkline scales to the maximum, keeps the last values and pads on the left', () => {
    expect(sparkline([0, 1, 2, 4, 8], 5)).toBe('▁▂▃▅█');
    expect(sparkline([5, 5], 4)).toBe('  ██');
    expect(sparkline([9, 0, 0], 2)).toBe('▁▁');
    expect(sparkline([], 3)).toBe('   ');
  });

  it('cell pads, cuts with an ellipsis, aligns, and puts a multi-line text on one line', () => {
    expect(cell('abc', 5)).toBe('abc  ');
    expect(cell('abc', 5, 'right')).toBe('  abc');
    expect(cell('abcdefgh', 5)).toBe('abcd…');
    expect(cell('line one\nline two', 20)).toBe('line one line two   ');
    expect(cell('x', 0)).toBe('');
  });

  it('rates, ages and bars read as a person expects', () => {
    expect(formatRate(null)).toBe('-');
    expect(formatRate(0.25)).toBe('0.3/s');
    expect(formatRate(1234.4)).toBe('1,234/s');
    expect(formatAge(0, 5000)).toBe('-');
    expect(formatAge(1000, 91_000)).toBe('1m30s');
    expect(formatAge(2000, 1000)).toBe('0ms');
    expect(progressBar(50, 10)).toBe('█████░░░░░');
    expect(progressBar(150, 4)).toBe('████');
  });

  it('previewLines keeps the first lines and says how many are left out', () => {
    expect(previewLines('a\nb\nc\nd', 10, 2)).toEqual(['a', 'b', '… 2 more lines']);
  });
});

describe('filter', () => {
  it('Given qualifiers and words, Then qualifiers go to the master and words are matched locally', () => {
    expect(parseFilter('  queue:emails Fib  type:sleep worker:w-1 timeout ')).toEqual({ queue: 'emails', type: 'sleep', workerId: 'w-1', words: ['fib', 'timeout'] });
    expect(parseFilter('')).toEqual({ queue: null, type: null, workerId: null, words: [] });
  });

  it('Given words, Then a job matches when every word is in its id, type, queue, worker or error', () => {
    const rows = [job(1, { type: 'fibonacci' }), job(22, { type: 'sleep', error: 'Timed out' }), job(3, { workerId: 'w-9', type: 'sleep' })];
    expect(matchJobs(rows, parseFilter('sleep')).map((r) => r.id)).toEqual(['22', '3']);
    expect(matchJobs(rows, parseFilter('sleep timed')).map((r) => r.id)).toEqual(['22']);
    expect(matchJobs(rows, parseFilter('W-9')).map((r) => r.id)).toEqual(['3']);
    expect(matchJobs(rows, parseFilter('queue:x'))).toHaveLength(3);
  });
});

describe('layout', () => {
  it('Given a 50-row terminal, Then the frame is one row shorter and the jobs pane gets the most rows', () => {
    const l = computeLayout({ columns: 160, rows: 50 }, { queues: 2, workers: 3, banner: false });
    expect(l).toMatchObject({ queueRows: 2, workerRows: 3 });
    // overview 3 + status 1 + pane chrome 10 + rows = 49
    expect(3 + 1 + 10 + l.queueRows + l.workerRows + l.jobRows).toBe(49);
  });

  it('Given many queues and workers on a small terminal, Then their panes are capped and the jobs pane keeps rows', () => {
    const l = computeLayout({ columns: 80, rows: 24 }, { queues: 40, workers: 40, banner: true });
    expect(l.queueRows).toBeLessThanOrEqual(2);
    expect(l.workerRows).toBeLessThanOrEqual(2);
    expect(l.jobRows).toBeGreaterThanOrEqual(3);
    expect(3 + 1 + 1 + 10 + l.queueRows + l.workerRows + l.jobRows).toBe(23);
  });

  it('windowStart keeps the cursor visible', () => {
    expect(windowStart(0, 5, 100)).toBe(0);
    expect(windowStart(4, 5, 100)).toBe(0);
    expect(windowStart(5, 5, 100)).toBe(1);
    expect(windowStart(99, 5, 100)).toBe(95);
    expect(windowStart(3, 5, 4)).toBe(0);
  });
});

const stats = (partial: Partial<GetStatsResponse>): GetStatsResponse => GetStatsResponse.fromPartial({ version: '1', startedAtMs: 1_000, ...partial });

describe('ThroughputMeter', () => {
  it('Given two polls a second apart, Then rates are the deltas per second and the history grows', () => {
    const m = new ThroughputMeter();
    m.record(stats({ nowMs: 10_000, submittedTotal: 100, finishedTotal: 90 }));
    expect(m.overview(stats({ nowMs: 10_000 })).finishedPerSec).toBeNull();
    m.record(stats({ nowMs: 12_000, submittedTotal: 2_100, finishedTotal: 1_090 }));
    const o = m.overview(stats({ nowMs: 12_000 }));
    expect(o.submittedPerSec).toBe(1000);
    expect(o.finishedPerSec).toBe(500);
    expect(o.finishedHistory).toEqual([500]);
  });

  it('Given a restarted master (new start time, totals reset), Then no negative rate is shown', () => {
    const m = new ThroughputMeter();
    m.record(stats({ nowMs: 10_000, submittedTotal: 500, finishedTotal: 500 }));
    m.record(stats({ startedAtMs: 20_000, nowMs: 21_000, submittedTotal: 3, finishedTotal: 1 }));
    expect(m.overview(stats({})).finishedPerSec).toBeNull();
    m.record(stats({ startedAtMs: 20_000, nowMs: 22_000, submittedTotal: 13, finishedTotal: 6 }));
    expect(m.overview(stats({})).finishedPerSec).toBe(5);
  });

  it('Given more than a minute of polls, Then the history keeps the last 60', () => {
    const m = new ThroughputMeter();
    for (let i = 0; i <= 70; i++) m.record(stats({ nowMs: 1_000 * i + 10_000, finishedTotal: i * i }));
    const history = m.overview(stats({})).finishedHistory;
    expect(history).toHaveLength(60);
    expect(history.at(-1)).toBe(70 * 70 - 69 * 69);
  });
});

describe('QueueRates', () => {
  const event = (queue: string, status: JobStatus, atMs: number) => JobEvent.fromPartial({ queue, status, atMs });

  it('Given finished events over ten seconds, Then the rate counts only final states of that queue in the window', () => {
    const rates = new QueueRates(10);
    const events = [];
    for (let s = 0; s < 12; s++) {
      events.push(event('a', JobStatus.JOB_STATUS_COMPLETED, 100_000 + s * 1000), event('a', JobStatus.JOB_STATUS_FAILED, 100_000 + s * 1000 + 500));
      events.push(event('a', JobStatus.JOB_STATUS_RUNNING, 100_000 + s * 1000), event('b', JobStatus.JOB_STATUS_DEAD_LETTER, 100_000 + s * 1000));
    }
    rates.record(events);
    // At 112.0 s the window is seconds 102..111: two finished jobs of "a" each second.
    expect(rates.rate('a', 112_000)).toBe(2);
    expect(rates.rate('b', 112_000)).toBe(1);
    expect(rates.rate('nobody', 112_000)).toBe(0);
    // Thirty seconds later nothing is left in the window.
    expect(rates.rate('a', 142_000)).toBe(0);
  });
});

describe('decoding for the detail view', () => {
  it('JSON is pretty-printed, text kept, binary summarised, control characters neutralised', () => {
    expect(readableBytes(Buffer.from('{"n":30}'), 'application/json')).toBe('{\n  "n": 30\n}');
    expect(readableBytes(Buffer.from('plain\u001b[31m'), 'text/plain')).toBe('plain\ufffd[31m');
    expect(readableBytes(Buffer.from([1, 2, 3]), 'application/octet-stream')).toBe('(3 bytes of application/octet-stream)');
    expect(readableBytes(Buffer.alloc(0), 'application/json')).toBe('');
  });

  it('A job from the wire becomes a detail with its attempts and result', () => {
    const d = jobDetailFromProto(
      Job.fromPartial({
        id: '7',
        status: JobStatus.JOB_STATUS_COMPLETED,
        type: 'echo',
        payload: Buffer.from('[1,2]'),
        result: Buffer.from('"ok"'),
        resultContentType: 'application/json',
        attempts: [{ number: 1, workerId: 'w', outcome: 'completed' }],
      }),
    );
    expect(d).toMatchObject({ id: '7', status: 'completed', type: 'echo', contentType: 'application/json', payload: '[\n  1,\n  2\n]', result: '"ok"' });
    expect(d.attempts).toEqual([{ number: 1, workerId: 'w', startedAtMs: 0, finishedAtMs: 0, outcome: 'completed', error: '' }]);
  });
});

describe('React build', () => {
  it('Given no NODE_ENV, Then the production build is chosen; Given one, Then it is kept', () => {
    const unset: NodeJS.ProcessEnv = {};
    preferProductionReact(unset);
    expect(unset.NODE_ENV).toBe('production');
    const set: NodeJS.ProcessEnv = { NODE_ENV: 'development' };
    preferProductionReact(set);
    expect(set.NODE_ENV).toBe('development');
  });
});
