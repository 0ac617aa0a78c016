#!/usr/bin/env bash
# One sitting: the peer (BullMQ on Redis, from the peer harness) and Nucleus, both deployments,
# 3 runs each, then the durability check and the comparison table. About 15-25 minutes on 2 cores.
#
#   PEERS=/path/to/peer-harness bench/run-all.sh
#
# PEERS is a writable copy of the peer harness with `npm install` done and redis-server and
# postgresql installed (see its README). As root, everything runs at nice -15 like the peer
# harness's own run-all.sh (BENCH_NICE to change, "" to disable). Needs a built CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PEERS:?set PEERS to a copy of the peer harness}"
if [ "$(id -u)" = "0" ]; then BENCH_NICE="${BENCH_NICE--15}"; else BENCH_NICE="${BENCH_NICE-}"; fi
NICE=(); [ -n "$BENCH_NICE" ] && NICE=(nice -n "$BENCH_NICE")
PEER_RUNS="${PEER_RUNS:-3}"
RUNS="${RUNS:-3}"
stamp=$(date -u +%Y-%m-%dT%H%M)
mkdir -p bench/results

(cd "$PEERS" && BENCH_NICE="$BENCH_NICE" scripts/servers.sh start)
trap '(cd "$PEERS" && scripts/servers.sh stop) || true' EXIT
(cd "$PEERS" && "${NICE[@]}" node src/bench.mjs --peer bullmq --runs "$PEER_RUNS" --tag "$stamp")
cp "$PEERS/results/bullmq-default-$stamp.json" "bench/results/$stamp-bullmq-default.json"

"${NICE[@]}" node bench/scenarios.mjs --deployment procs --runs "$RUNS"
"${NICE[@]}" node bench/scenarios.mjs --deployment inproc --runs "$RUNS"
# The same steps with master and worker started cold (--warm-up 0): what their warm-ups are worth.
"${NICE[@]}" node bench/scenarios.mjs --deployment procs --runs "$RUNS" --master-warm-up 0 --worker-warm-up 0
"${NICE[@]}" node bench/durability.mjs

latest() { ls -1 bench/results/*-"$1".json | tail -1; }
node bench/compare.mjs --peer "bench/results/$stamp-bullmq-default.json" \
  --nucleus "$(latest nucleus-procs),$(latest nucleus-inproc),$(latest nucleus-procs-master-warm-up0-worker-warm-up0)" --durability "$(latest nucleus-durability)"
