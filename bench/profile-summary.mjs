// Summarises a V8 CPU profile (.cpuprofile, from `node --cpu-prof`): where the samples were,
// by function (self time) and by package or source file, as percentages of all samples.
//
//   node bench/profile-summary.mjs <file.cpuprofile> [--top 25] [--from S] [--to S] [--json]
// --from/--to keep the samples between those seconds after the profile's start (leave start-up out).
import fs from 'node:fs';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
const top = Number(args[args.indexOf('--top') + 1]) || 25;
if (!file) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [--top 25] [--from S] [--to S] [--json]');
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const opt = (name) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : null);
const from = opt('--from') ?? 0;
const to = opt('--to') ?? Infinity;
const counts = new Map();
let total = 0;
let at = 0; // µs since the profile's start
profile.samples.forEach((id, i) => {
  at += profile.timeDeltas[i];
  if (at < from * 1e6 || at > to * 1e6) return;
  counts.set(id, (counts.get(id) ?? 0) + 1);
  total++;
});
const durationMs = (profile.endTime - profile.startTime) / 1000;

/** Where a function lives: a package name, our source file, node internals, or a V8 pseudo-frame. */
function place(cf) {
  const url = cf.url || '';
  if (!url) return cf.functionName.startsWith('(') ? cf.functionName : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return url;
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

const fn = new Map();
const where = new Map();
let idle = 0;
for (const [id, n] of counts) {
  const cf = byId.get(id).callFrame;
  if (cf.functionName === '(idle)') idle += n;
  const loc = place(cf);
  const key = `${cf.functionName || '(anonymous)'}  ${loc}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
  fn.set(key, (fn.get(key) ?? 0) + n);
  where.set(loc, (where.get(loc) ?? 0) + n);
}
const pct = (n) => ((100 * n) / total).toFixed(1).padStart(5);
const busy = total - idle;
const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]);
if (args.includes('--json')) {
  console.log(JSON.stringify({ file, durationMs, samples: total, idlePct: (100 * idle) / total, functions: sorted(fn).slice(0, top), places: sorted(where).slice(0, top) }, null, 2));
} else {
  console.log(`${file}: ${total} samples over ${(durationMs / 1000).toFixed(1)} s; idle ${pct(idle)}%, busy ${pct(busy)}%`);
  console.log(`\nself time by function (% of all samples; % of busy samples)`);
  const ofBusy = (k, n) => (k.startsWith('(idle)') ? '    -' : ((100 * n) / busy).toFixed(1).padStart(5));
  for (const [k, n] of sorted(fn).slice(0, top)) console.log(`${pct(n)}% ${ofBusy(k, n)}%  ${k}`);
  console.log(`\nself time by package / file`);
  for (const [k, n] of sorted(where).slice(0, top)) console.log(`${pct(n)}% ${ofBusy(k, n)}%  ${k}`);
}
