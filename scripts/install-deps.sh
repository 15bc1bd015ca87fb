#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the tests and the benchmarks need,
# only those that are missing. Uses sudo when not run as root.
set -euo pipefail

PACKAGES=(
  # build
  g++ cmake make pkg-config git
  libboost-dev libboost-context-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libssl-dev libpq-dev librdkafka-dev
  # the embedded default and the test harness run a private PostgreSQL
  postgresql-15
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev haproxy wrk postgresql-contrib
  # make lint (part of make test): the formatting of every source file
  clang-format
  # fuzz/ (scripts/fuzz.sh, part of make test): clang with libFuzzer and its runtimes
  clang-14 libfuzzer-14-dev libclang-rt-14-dev
)
if [[ "${1:-}" == "--bench" ]]; then
  # bench/run: the plot, readiness and /metrics probes, CPU of the load
  # generators, and `bench/run --profile`.
  PACKAGES+=(gnuplot-nox curl time linux-perf)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then
    SUDO=(sudo)
  else
    echo "install-deps: missing packages (${missing[*]}) and not root, and no sudo" >&2
    exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
