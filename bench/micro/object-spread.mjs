// What an object literal that spreads an object and then adds properties costs in this Node,
// against the same literal written out (the shape transition() returns once per result).
//
//   node bench/micro/object-spread.mjs
const state = (i) => ({ status: 'running', attempt: 1, failures: 0, maxRetries: 3, runAt: i, backoffBaseMs: 1000, backoffCapMs: 60000 });
const spread = (s) => ({ ...s, front: false, countedFailure: false });
const literal = (s) => ({
  status: s.status, attempt: s.attempt, failures: s.failures, maxRetries: s.maxRetries, runAt: s.runAt,
  backoffBaseMs: s.backoffBaseMs, backoffCapMs: s.backoffCapMs, front: false, countedFailure: false,
});
const spreadOnly = (s) => ({ ...s });
for (const [name, make] of [['{ ...s, front, countedFailure }', spread], ['written out', literal], ['{ ...s }', spreadOnly]]) {
  let sum = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 1e6; i++) sum += make(state(i)).runAt;
  console.log(`${name}: ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ns per object (${process.version})${sum < 0 ? '!' : ''}`);
}
