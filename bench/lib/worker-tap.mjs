// Observation tap for the worker, preloaded into an unchanged `nucleus worker` (or `nucleus dev`)
// process with `node --import bench/lib/worker-tap.mjs bin/run.js worker ...`.
//
// It wraps the worker's Connect stream to see, as the peer harness sees in its workers:
//   - "result sent": when the worker writes a job's result (right after the handler returned);
//   - "ack": when the master's acknowledgement of that result arrives, which the master sends
//     only after the completion is committed to its store.
// Each job's payload carries `ts`, the producer's wall clock just before its submit call, so
// latency = (now - ts) at those two points. Jobs whose payload carries `"w":1` are the warm-up
// (bench/lib/producer.mjs): with `warmup` armed they are counted apart and in no figure, and
// `tFirstAssignment` is the first pick-up of a measured job. The orchestrator talks to the tap over IPC:
//   -> { type: 'arm', expected, latency, warmup }   <- { type: 'armed' }
//   <- { type: 'done', reason, acked, t1, ... } when `expected` acks have arrived
//   -> { type: 'finish' } to get a partial 'done' now.
// With BENCH_TAP_EXPECT=<n> in its environment the tap is armed from the start (the cold start,
// where acks can come before any message could arrive).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fs from 'node:fs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { WorkerServiceClient } = await import(pathToFileURL(path.join(ROOT, 'dist', 'rpc', 'generated', 'nucleus', 'v1', 'worker.js')).href);
const { summarize } = await import(pathToFileURL(path.join(ROOT, 'dist', 'bench', 'stats.js')).href);

const nowMs = () => performance.timeOrigin + performance.now();
let armed = false;
let expected = 0;
let latency = false;
let warmup = false;
let acked = 0;
let warmAcked = 0;
const warmIds = new Set();
const WARM_MARK = Buffer.from('"w":1');
let sent = 0;
let tFirstAssignment = 0;
let done = false;
const ts = new Map();
let resultLat = [];
let ackLat = [];

const hwmKb = () => Number(/^VmHWM:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);

function report(reason) {
  if (done) return;
  done = true;
  const c = process.cpuUsage();
  const msg = { type: 'done', reason, acked, warmAcked, sent, t1: nowMs(), tFirstAssignment, hwmKb: hwmKb(), cpuTicks: (c.user + c.system) / 1e4 };
  if (latency) {
    msg.resultLat = summarize(resultLat);
    msg.ackLat = summarize(ackLat);
  }
  process.send?.(msg);
}

function onMasterMessage(message) {
  const m = message.msg;
  if (!armed || !m) return;
  if (m.$case === 'assignments') {
    for (const a of m.value.assignments) {
      if (warmup && a.payload.includes(WARM_MARK)) {
        warmIds.add(a.jobId);
        continue;
      }
      if (!tFirstAssignment) tFirstAssignment = nowMs();
      if (!latency) continue;
      try {
        ts.set(a.jobId, JSON.parse(a.payload.toString()).ts);
      } catch {
        // not a bench job
      }
    }
  } else if (m.$case === 'acks') {
    const now = nowMs();
    for (const ack of m.value.acks) {
      if (!ack.accepted) continue;
      if (warmIds.size > 0 && warmIds.delete(ack.jobId)) {
        warmAcked++;
        continue;
      }
      acked++;
      if (latency) {
        const t = ts.get(ack.jobId);
        if (t !== undefined) {
          ackLat.push(now - t);
          ts.delete(ack.jobId);
        }
      }
    }
    if (acked >= expected) report('complete');
  }
}

function onWorkerMessage(message) {
  const m = message?.msg;
  if (!armed || m?.$case !== 'results') return;
  const now = nowMs();
  for (const r of m.value.results) {
    if (warmIds.has(r.jobId)) continue;
    sent++;
    if (latency) {
      const t = ts.get(r.jobId);
      if (t !== undefined) resultLat.push(now - t);
    }
  }
}

const connect = WorkerServiceClient.prototype.connect;
WorkerServiceClient.prototype.connect = function (...args) {
  const stream = connect.apply(this, args);
  stream.on('data', onMasterMessage);
  const write = stream.write;
  stream.write = function (message, ...rest) {
    onWorkerMessage(message);
    return write.call(this, message, ...rest);
  };
  return stream;
};

if (process.env.BENCH_TAP_EXPECT) {
  armed = true;
  expected = Number(process.env.BENCH_TAP_EXPECT);
}
if (process.send) {
  process.on('message', (m) => {
    if (m.type === 'arm') {
      armed = true;
      done = false;
      expected = m.expected;
      latency = Boolean(m.latency);
      warmup = Boolean(m.warmup);
      acked = 0;
      warmAcked = 0;
      warmIds.clear();
      sent = 0;
      tFirstAssignment = 0;
      ts.clear();
      resultLat = [];
      ackLat = [];
      process.send({ type: 'armed' });
    } else if (m.type === 'finish') report('stopped');
  });
  // The channel must not keep the CLI alive after it has stopped.
  process.channel?.unref();
}
