#!/usr/bin/env bash
# scripts/timed.sh NAME COMMAND...: runs COMMAND, then prints how long it took
# ("make test: NAME took 312 s") and appends the line to $TIMED_LOG when set,
# so that a CI log says what each part of `make test` costs.
set -uo pipefail
name=$1
shift
start=$(date +%s)
"$@"
rc=$?
line="make test: $name took $(($(date +%s) - start)) s$([[ $rc -eq 0 ]] || echo " (failed, exit $rc)")"
echo "$line" >&2
[[ -n "${TIMED_LOG:-}" ]] && echo "$line" >>"$TIMED_LOG"
exit $rc
