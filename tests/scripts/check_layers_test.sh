#!/usr/bin/env bash
# The test of scripts/check-layers.sh: the repository's src/ passes, and small
# trees with a deliberate upward include, a module missing from the table or
# an include that climbs out with ../ fail, naming the file and line. A test
# file's upward include passes (tests are exempt). CTest runs it as `layers`.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
check="$root/scripts/check-layers.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

expect() {  # expect <exit status> <text the output must hold or ""> <description> -- <args>
  local want="$1" text="$2" what="$3"
  shift 4
  local got=0
  "$check" "$@" >"$work/out" 2>&1 || got=$?
  if [[ $got -ne $want ]]; then
    echo "FAIL: $what: exit $got, wanted $want; output:" >&2
    cat "$work/out" >&2
    failures=$((failures + 1))
  elif [[ -n "$text" ]] && ! grep -qF -- "$text" "$work/out"; then
    echo "FAIL: $what: output lacks '$text'; output:" >&2
    cat "$work/out" >&2
    failures=$((failures + 1))
  else
    echo "ok: $what"
  fi
}

# A tree of three layers: core/ below store/ below api/.
tree() {
  rm -rf "$work/src"
  mkdir -p "$work/src/core" "$work/src/store" "$work/src/api"
  printf '#pragma once\n#include <string>\n' >"$work/src/core/text.h"
  printf '#pragma once\n#include "core/text.h"\n' >"$work/src/store/rows.h"
  printf '#include "api/handler.h"\n#include "store/rows.h"\n#include "core/text.h"\n' \
    >"$work/src/api/handler.cpp"
  printf '#pragma once\n' >"$work/src/api/handler.h"
}
cat >"$work/architecture.md" <<'DOC'
# Architecture

## Layers

```
core/                 ground
store/ events/        repositories
                      (a continuation line names no module)
api/                  handlers
```
DOC

expect 0 "every include" "the repository's own src/ runs one way" --

tree
expect 0 "" "a tree whose includes run down or sideways passes" -- --src "$work/src" --doc "$work/architecture.md"

tree
printf '#pragma once\n#include "api/handler.h"\n' >"$work/src/store/rows.h"
expect 1 "src/store/rows.h:2: store/ (layer 1) includes \"api/handler.h\" of api/ (layer 2)" \
  "a deliberate upward include fails, naming file and line" -- --src "$work/src" --doc "$work/architecture.md"

tree
printf '#include "store/rows.h"\n' >"$work/src/core/text.cpp"
expect 1 "core/text.cpp:1" "an upward include from a .cpp fails too" -- --src "$work/src" --doc "$work/architecture.md"

tree
printf '#include "api/handler.h"\n' >"$work/src/core/text_test.cpp"
printf '#include "api/handler.h"\n' >"$work/src/store/rows_pgtest.cpp"
printf '#include "api/handler.h"\n' >"$work/src/core/text_benchmark.cpp"
expect 0 "" "tests and benchmarks may include upward" -- --src "$work/src" --doc "$work/architecture.md"

tree
mkdir -p "$work/src/extras"
printf '#pragma once\n' >"$work/src/extras/thing.h"
expect 1 "extras/: module missing from the layer table" "a module missing from the table fails" -- --src "$work/src" --doc "$work/architecture.md"

tree
printf '#include "../api/handler.h"\n' >"$work/src/store/rows.cpp"
expect 1 "climbs out of its directory" "an include through ../ fails" -- --src "$work/src" --doc "$work/architecture.md"

tree
printf '# Architecture\n\nNo table here.\n' >"$work/empty.md"
expect 2 "no layer table" "a doc without the table is an error, not a pass" -- --src "$work/src" --doc "$work/empty.md"

if [[ $failures -gt 0 ]]; then
  echo "$failures case(s) failed" >&2
  exit 1
fi
