#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang-14 (ASan + UBSan) in
# build-fuzz/ and runs each one: first for --seconds seconds on a scratch copy
# of its seed corpus fuzz/corpus/<name>/ (the checked-in corpus never grows
# here), then once over every input of fuzz/regressions/<name>/. Prints, per
# target, the executions run and exec/s; exits non-zero on any crash, hang,
# leak, out-of-memory or UBSan report, printing the reproducer's path.
# docs/fuzzing.md has the whole story.
#
#   scripts/fuzz.sh                          every target, 60 s each
#   scripts/fuzz.sh --seconds 600 sql_lexer  one target, longer
#   scripts/fuzz.sh --build-only
#
# Environment: FUZZ_BUILD_DIR (build-fuzz), JOBS (nproc) for the build.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD_DIR="${FUZZ_BUILD_DIR:-build-fuzz}"
JOBS="${JOBS:-$(nproc)}"
fuzz_seconds=60
build_only=0
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) fuzz_seconds="$2"; shift 2 ;;
    --seconds=*) fuzz_seconds="${1#*=}"; shift ;;
    --build-only) build_only=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ! [[ "$fuzz_seconds" =~ ^[0-9]+$ ]] || [[ "$fuzz_seconds" -lt 1 ]]; then
  echo "fuzz.sh: --seconds takes a whole number of seconds, not '$fuzz_seconds'" >&2
  exit 2
fi
if [[ ${#targets[@]} -eq 0 ]]; then
  for f in fuzz/*_fuzzer.cpp; do
    f="${f##*/}"
    targets+=("${f%_fuzzer.cpp}")
  done
fi

# The longest input each target is given. Long enough for every state of the
# parser (a seed that is longer is cut, which the parsers must take too);
# short enough for thousands of runs a second under ASan on a shared core.
max_len_of() {
  case "$1" in
    query_string) echo 1024 ;;
    flag_definition) echo 2048 ;;
    *) echo 4096 ;;
  esac
}

scripts/install-deps.sh
build_start=$(date +%s)
if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  CC=clang-14 CXX=clang++-14 cmake -S fuzz -B "$BUILD_DIR" >/dev/null
fi
cmake --build "$BUILD_DIR" -j "$JOBS" --target "${targets[@]/%/_fuzzer}"
echo "fuzz: build took $(($(date +%s) - build_start)) s"
[[ $build_only -eq 1 ]] && exit 0

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
scratch=$(mktemp -d /tmp/payments-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$BUILD_DIR/logs" "$BUILD_DIR/artifacts"

failed=()
summary=()
for name in "${targets[@]}"; do
  binary="$BUILD_DIR/${name}_fuzzer"
  log="$BUILD_DIR/logs/$name.log"
  artifacts="$BUILD_DIR/artifacts/$name/"
  mkdir -p "$artifacts" "$scratch/$name"
  [[ -d "fuzz/corpus/$name" ]] && cp -r "fuzz/corpus/$name/." "$scratch/$name/"
  flags=(-max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048
         -max_len="$(max_len_of "$name")" -print_final_stats=1 -artifact_prefix="$artifacts")
  [[ -f "fuzz/$name.dict" ]] && flags+=(-dict="fuzz/$name.dict")

  echo "fuzz: $name for ${fuzz_seconds} s (log: $log)"
  status=ok
  if ! "$binary" "${flags[@]}" "$scratch/$name" >"$log" 2>&1; then
    status=FAILED
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)

  # Every input that ever failed, run once as a test.
  regressions=0
  if [[ -d "fuzz/regressions/$name" ]]; then
    mapfile -t inputs < <(find "fuzz/regressions/$name" -type f ! -name '.*' | sort)
    regressions=${#inputs[@]}
    if [[ $regressions -gt 0 ]] &&
       ! "$binary" -timeout=10 -rss_limit_mb=2048 "${inputs[@]}" >>"$log" 2>&1; then
      status=FAILED
      echo "fuzz: $name fails on an input of fuzz/regressions/$name/" >&2
    fi
  fi

  summary+=("$(printf '%-16s %-7s %12s runs %8s exec/s  cov %-6s %3d regression inputs' \
    "$name" "$status" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$regressions")")
  if [[ $status != ok ]]; then
    failed+=("$name")
    echo "fuzz: $name FAILED; the end of $log:" >&2
    grep -E 'ERROR: |SUMMARY: |runtime error|FUZZ_CHECK|ALARM|Running: ' "$log" | head -20 >&2 || true
    tail -n 25 "$log" >&2
    if grep -q 'Test unit written to' "$log"; then
      reproducer=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
      echo "fuzz: reproducer: $reproducer" >&2
      echo "fuzz: reproduce with: $binary $reproducer" >&2
      echo "fuzz: once fixed, keep it: cp $reproducer fuzz/regressions/$name/" >&2
    fi
  fi
done

echo "fuzz: ${fuzz_seconds} s per target"
printf '  %s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
