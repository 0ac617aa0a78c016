#!/usr/bin/env bash
# One sitting: the peer (BullMQ on Redis, from the peer harness) and Nucleus, both deployments,
# 3 runs each, every system warmed alike; then the cold starts, the durability check and the
# comparison table. About 20-30 minutes on 2 cores.
#
#   PEERS=/path/to/peer-harness bench/run-all.sh [--warmup N]
#
# --warmup N (default 5000): as the peer harness's option: N jobs sent first, the same way, and
# left out of every figure, for BullMQ and Nucleus alike (0 measures every process cold).
# PEERS is a writable copy of the peer harness with `npm install` done and redis-server and
# postgresql installed (see its README). As root, everything runs at nice -15 like the peer
# harness's own run-all.sh (BENCH_NICE to change, "" to disable). Needs a built CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
WARMUP=5000
while [ $# -gt 0 ]; do
  case "$1" in
    --warmup) WARMUP="${2:?--warmup needs a number of jobs}"; shift 2 ;;
    *) echo "usage: PEERS=<peer harness> bench/run-all.sh [--warmup N]" >&2; exit 2 ;;
  esac
done
case "$WARMUP" in '' | *[!0-9]*) echo "--warmup must be a whole number of jobs (got \"$WARMUP\")" >&2; exit 2 ;; esac
: "${PEERS:?set PEERS to a copy of the peer harness}"
if [ "$(id -u)" = "0" ]; then BENCH_NICE="${BENCH_NICE--15}"; else BENCH_NICE="${BENCH_NICE-}"; fi
NICE=(); [ -n "$BENCH_NICE" ] && NICE=(nice -n "$BENCH_NICE")
PEER_RUNS="${PEER_RUNS:-3}"
RUNS="${RUNS:-3}"
stamp=$(date -u +%Y-%m-%dT%H%M)
mkdir -p bench/results

(cd "$PEERS" && BENCH_NICE="$BENCH_NICE" scripts/servers.sh start)
trap '(cd "$PEERS" && scripts/servers.sh stop) || true' EXIT
(cd "$PEERS" && "${NICE[@]}" node src/bench.mjs --peer bullmq --runs "$PEER_RUNS" --warmup "$WARMUP" --tag "$stamp")
cp "$PEERS/results/bullmq-default-$stamp.json" "bench/results/$stamp-bullmq-default.json"

"${NICE[@]}" node bench/scenarios.mjs --deployment procs --runs "$RUNS" --warmup "$WARMUP"
"${NICE[@]}" node bench/scenarios.mjs --deployment inproc --runs "$RUNS" --warmup "$WARMUP"
# Cold starts, apart: the command to the first 1,000 jobs done, every process fresh.
"${NICE[@]}" node bench/cold-start.mjs --system bullmq --peers "$PEERS" --runs "$RUNS"
"${NICE[@]}" node bench/cold-start.mjs --deployment procs --runs "$RUNS"
"${NICE[@]}" node bench/cold-start.mjs --deployment inproc --runs "$RUNS"
"${NICE[@]}" node bench/durability.mjs

latest() { ls -1 bench/results/*-"$1".json | tail -1; }
suffix=""; [ "$WARMUP" != "0" ] && suffix="-warmup$WARMUP"
node bench/compare.mjs --peer "bench/results/$stamp-bullmq-default.json" \
  --nucleus "$(latest "nucleus-procs$suffix"),$(latest "nucleus-inproc$suffix")" --durability "$(latest nucleus-durability)" \
  --cold "$(latest cold-start-bullmq),$(latest cold-start-nucleus-procs),$(latest cold-start-nucleus-inproc)"
