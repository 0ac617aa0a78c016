#!/usr/bin/env bash
# The system programs the tests drive, checked before every `npm test` (its `pretest`), so that
# `npm install-test` on a fresh machine and `.ci/run` take the same path:
#   - all present: nothing to do;
#   - some missing, and this user may install Debian packages (root, or passwordless sudo, with
#     apt-get): installs exactly the missing packages;
#   - otherwise: one line on stderr naming what to install, and exit 1, so no test runs.
# To add a dependency, add one line to PACKAGES below.
set -euo pipefail

# <Debian package> <how to tell it is installed>
PACKAGES=(
  "tmux|command -v tmux"                                              # terminal-UI tests
  "prometheus|command -v prometheus && command -v promtool"           # scrape test, metrics lint
  "chromium|test -x /usr/bin/chromium"                                # dashboard end-to-end tests (playwright-core drives it)
  "iproute2|command -v ip"                                            # chaos tests' network namespaces
  "iptables|command -v iptables || test -x /usr/sbin/iptables"        # chaos tests: loss and partitions where the kernel has no netem
  "podman|command -v podman"                                          # container test
  "runc|command -v runc || test -x /usr/sbin/runc"                    # container test (crun fails on some cgroup setups)
  "debootstrap|command -v debootstrap || test -x /usr/sbin/debootstrap" # container test's base image
  "python3-grpcio|/usr/bin/python3 -c 'import grpc'"                  # Python client tests (Debian's python3, not another on PATH)
  "python3-protobuf|/usr/bin/python3 -c 'import google.protobuf'"     # Python client tests
  "protobuf-compiler|command -v protoc"                               # Python client tests
  "python3-venv|/usr/bin/python3 -c 'import ensurepip, venv'"        # Python client: the README's install, tested as written
  "python3-wheel|/usr/bin/python3 -c 'import wheel'"                 # Python client: pip --no-build-isolation builds the wheel with it
)

missing=()
for entry in "${PACKAGES[@]}"; do
  pkg="${entry%%|*}"
  check="${entry#*|}"
  bash -c "$check" >/dev/null 2>&1 || missing+=("$pkg")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

sudo=()
may=no
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    may=yes
  elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
    may=yes
    sudo=(sudo -n)
  fi
fi
if [ "$may" = no ]; then
  echo "the tests need these Debian packages, which are missing: ${missing[*]} (install them with: sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi

echo "test-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq </dev/null
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
