#!/usr/bin/env bash
# The chaos suite's long setting: 30 minutes of load and faults (every kind of test/chaos, the
# network faults too when run as root), then the report (jobs, faults of each kind, lost and
# double completions, master RSS at start and end) saved under bench/results/. Run it on a quiet
# machine: the faults' timing assumes the processes get the CPU they ask for.
#
#   bench/chaos.sh            # 30 minutes, a random seed (printed in the report)
#   CHAOS_SEED=42 CHAOS_DURATION=5m bench/chaos.sh
#
# Every CHAOS_* setting of test/chaos/chaos.test.ts applies; these are the defaults here.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHAOS_DURATION="${CHAOS_DURATION:-30m}"
export CHAOS_RATE="${CHAOS_RATE:-200}"
export CHAOS_FAULT_EVERY="${CHAOS_FAULT_EVERY:-3s}"
export CHAOS_DRAIN="${CHAOS_DRAIN:-5m}"
stamp=$(date -u +%Y-%m-%dT%H%M)
mkdir -p bench/results
npm run build >/dev/null
npx vitest run test/chaos/chaos.test.ts 2>&1 | tee "bench/results/${stamp}-chaos.txt"
