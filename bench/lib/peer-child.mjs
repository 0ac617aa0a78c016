// A peer's producer or worker for bench/cold-start.mjs, through the peer harness's own adapter
// (<peers>/src/peers/<peer>.mjs), against a store started by the cold start itself.
// Started with fork(); argv[2] = JSON { peers, peer, role: 'producer'|'worker', redisPort, n, chunk, concurrency }.
//   producer: adds n no-op jobs with the adapter's addBulk() in chunks, as soon as it is connected;
//   worker:   runs them, and reports { type: 'done', t1, acked } at the n-th completion.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const args = JSON.parse(process.argv[2]);
const adapter = await import(pathToFileURL(path.join(args.peers, 'src', 'peers', `${args.peer}.mjs`)).href);
const cfg = { servers: { redisPort: args.redisPort }, variant: 'default', variantOpts: adapter.variants.default };
const nowMs = () => performance.timeOrigin + performance.now();

if (args.role === 'producer') {
  const p = await adapter.producer(cfg);
  for (let i = 0; i < args.n; i += args.chunk) {
    const ts = nowMs();
    await p.addBulk(Array.from({ length: Math.min(args.chunk, args.n - i) }, (_, k) => ({ i: i + k, ts })));
  }
  process.send({ type: 'sent' });
  await p.close();
} else {
  let acked = 0;
  const w = await adapter.worker(cfg, {
    concurrency: args.concurrency,
    onHandler() {},
    onAck() {
      if (++acked === args.n) process.send({ type: 'done', t1: nowMs(), acked });
    },
  });
  w.start();
  process.on('message', () => {});
}
