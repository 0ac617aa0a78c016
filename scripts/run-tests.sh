#!/usr/bin/env bash
# `npm test`: vitest (arguments go to it), then, when run without arguments, the Python client's
# tests (unittest under Debian's /usr/bin/python3, which has python3-grpcio and python3-protobuf;
# another python3 earlier on PATH would not see them). Each runner writes its counts for .ci/run:
# test-results.json (vitest) and python-test-results.json. Exits non-zero when either failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

vitest run "$@"
status=$?
if [ "$#" -eq 0 ]; then
  rm -f python-test-results.json
  /usr/bin/python3 clients/python/tests/run.py --json python-test-results.json </dev/null || status=1
fi
exit "$status"
