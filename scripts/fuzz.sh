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
#   scripts/fuzz.sh --fast --corpus DIR --seconds 3600   long runs: UBSan only
#        at -O2 (build-fuzz-fast/), the corpus kept and grown in DIR/<name>/
#   scripts/fuzz.sh --replay DIR             every input of DIR/<name>/ once,
#        under ASan + UBSan (after a --fast run)
#
# Environment: FUZZ_BUILD_DIR (build-fuzz, or build-fuzz-fast with --fast),
# JOBS (nproc): build jobs, and how many targets run side by side.
set -euo pipefail

cd "$(dirname "$0")/.."
JOBS="${JOBS:-$(nproc)}"
fuzz_seconds=60
build_only=0
fast=0
corpus_dir=""
replay_dir=""
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) fuzz_seconds="$2"; shift 2 ;;
    --seconds=*) fuzz_seconds="${1#*=}"; shift ;;
    --build-only) build_only=1; shift ;;
    --fast) fast=1; shift ;;
    --corpus) corpus_dir="$2"; shift 2 ;;
    --replay) replay_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ! [[ "$fuzz_seconds" =~ ^[0-9]+$ ]] || [[ "$fuzz_seconds" -lt 1 ]]; then
  echo "fuzz.sh: --seconds takes a whole number of seconds, not '$fuzz_seconds'" >&2
  exit 2
fi
if [[ -n "$replay_dir" && $fast -eq 1 ]]; then
  echo "fuzz.sh: --replay runs under ASan; it does not go with --fast" >&2
  exit 2
fi
for dir in "$corpus_dir" "$replay_dir"; do
  if [[ -n "$dir" && ! -d "$dir" ]]; then
    echo "fuzz.sh: no directory '$dir'" >&2
    exit 2
  fi
done
if [[ $fast -eq 1 ]]; then
  BUILD_DIR="${FUZZ_BUILD_DIR:-build-fuzz-fast}"
  sanitizers=undefined
else
  BUILD_DIR="${FUZZ_BUILD_DIR:-build-fuzz}"
  sanitizers=address,undefined
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
    sql_lexer | query_string | flag_definition) echo 1024 ;;
    migration_file | json_schema) echo 2048 ;;
    *) echo 4096 ;;
  esac
}

scripts/install-deps.sh
build_start=$(date +%s)
if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  CC=clang-14 CXX=clang++-14 cmake -S fuzz -B "$BUILD_DIR" \
    -DPAYMENTS_FUZZ_SANITIZERS="$sanitizers" >/dev/null
fi
cmake --build "$BUILD_DIR" -j "$JOBS" --target "${targets[@]/%/_fuzzer}"
echo "fuzz: build took $(($(date +%s) - build_start)) s"
[[ $build_only -eq 1 ]] && exit 0

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
scratch=$(mktemp -d /tmp/payments-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$BUILD_DIR/logs" "$BUILD_DIR/artifacts"

# One target: fuzz it (or replay a corpus), then its regressions. Writes its
# summary line to $scratch/$name.summary and, on failure, what to look at to
# $scratch/$name.report, so targets run side by side print nothing mixed.
run_target() {
  local name="$1"
  local binary="$BUILD_DIR/${name}_fuzzer"
  local log="$BUILD_DIR/logs/$name.log"
  local artifacts="$BUILD_DIR/artifacts/$name/"
  local corpus="$scratch/$name"
  local report="$scratch/$name.report"
  [[ -n "$corpus_dir" ]] && corpus="$corpus_dir/$name"
  mkdir -p "$artifacts" "$corpus"
  [[ -d "fuzz/corpus/$name" ]] && cp -rn "fuzz/corpus/$name/." "$corpus/"
  local flags=(-timeout=10 -rss_limit_mb=2048 -max_len="$(max_len_of "$name")"
               -print_final_stats=1 -artifact_prefix="$artifacts")
  if [[ -n "$replay_dir" ]]; then
    # -runs=0: run every input of the corpus once and stop.
    corpus="$replay_dir/$name"
    flags+=(-runs=0)
    echo "fuzz: $name, every input of $corpus once (log: $log)"
  else
    flags+=(-max_total_time="$fuzz_seconds")
    [[ -f "fuzz/$name.dict" ]] && flags+=(-dict="fuzz/$name.dict")
    echo "fuzz: $name for ${fuzz_seconds} s (log: $log)"
  fi
  local status=ok
  if ! "$binary" "${flags[@]}" "$corpus" >"$log" 2>&1; then
    status=FAILED
  fi
  local runs rate cov
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1) || true
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1) || true
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2) || true

  # Every input that ever failed, run once as a test.
  local regressions=0
  if [[ -d "fuzz/regressions/$name" ]]; then
    local inputs
    mapfile -t inputs < <(find "fuzz/regressions/$name" -type f ! -name '.*' | sort)
    regressions=${#inputs[@]}
    if [[ $regressions -gt 0 ]] &&
       ! "$binary" -timeout=10 -rss_limit_mb=2048 "${inputs[@]}" >>"$log" 2>&1; then
      status=FAILED
      echo "fuzz: $name fails on an input of fuzz/regressions/$name/" >>"$report"
    fi
  fi

  printf '%-16s %-7s %12s runs %8s exec/s  cov %-6s %3d regression inputs\n' \
    "$name" "$status" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$regressions" >"$scratch/$name.summary"
  if [[ $status != ok ]]; then
    {
      echo "fuzz: $name FAILED; the end of $log:"
      grep -E 'ERROR: |SUMMARY: |runtime error|FUZZ_CHECK|ALARM|Running: ' "$log" | head -20 || true
      tail -n 25 "$log"
      if grep -q 'Test unit written to' "$log"; then
        local reproducer
        reproducer=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
        echo "fuzz: reproducer: $reproducer"
        echo "fuzz: reproduce with: $binary $reproducer"
        echo "fuzz: once fixed, keep it: cp $reproducer fuzz/regressions/$name/"
      fi
    } >>"$report"
    return 1
  fi
}

# JOBS targets at a time (one per core): each still gets its full time, and
# make test pays for the six of them a third of what one after another costs.
running=0
for name in "${targets[@]}"; do
  if [[ $running -ge $JOBS ]]; then
    wait -n || true
    running=$((running - 1))
  fi
  run_target "$name" &
  running=$((running + 1))
done
wait || true

failed=()
summary=()
for name in "${targets[@]}"; do
  summary+=("$(cat "$scratch/$name.summary" 2>/dev/null || echo "$name (no summary)")")
  if [[ -s "$scratch/$name.report" || ! -f "$scratch/$name.summary" ]]; then
    failed+=("$name")
    cat "$scratch/$name.report" >&2 2>/dev/null || true
  fi
done

if [[ -n "$replay_dir" ]]; then
  echo "fuzz: replayed $replay_dir under ASan + UBSan"
else
  echo "fuzz: ${fuzz_seconds} s per target"
fi
printf '  %s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
