#!/usr/bin/env bash
# Checks that the modules of src/ include each other one way only: a file of a
# module may include headers of modules on its own line of the layer table or
# on the lines above it, never below. The table is the first fenced block under
# "## Layers" in docs/architecture.md (one line per layer, ground first, each
# line starting with its modules as `name/`), so the order is written once.
# Tests (*_test.cpp, *_pgtest.cpp) and benchmarks (*_benchmark.cpp) are exempt:
# they may assemble anything. Run by make test (the `layers` CTest test).
#
#   scripts/check-layers.sh                        the repository's src/
#   scripts/check-layers.sh --src DIR --doc FILE   another tree (its test)
#
# Exit status: 0 when every include runs downward or sideways; 1 when one
# runs upward, or a module of src/ is missing from the table (each offending
# line printed as file:line: message); 2 on bad arguments.
set -euo pipefail

cd "$(dirname "$0")/.."
src=src
doc=docs/architecture.md
while [[ $# -gt 0 ]]; do
  case "$1" in
    --src) src="$2"; shift 2 ;;
    --doc) doc="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "check-layers.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for path in "$src" "$doc"; do
  if [[ ! -e "$path" ]]; then
    echo "check-layers.sh: no such file or directory: $path" >&2
    exit 2
  fi
done

# module -> layer number (0 = ground), from the table in the doc.
declare -A layer_of
layer=0
modules=0
while IFS= read -r line; do
  [[ "$line" =~ ^[a-z] ]] || continue  # indented lines continue a description
  for word in $line; do
    [[ "$word" =~ ^([a-z_]+)/$ ]] || break
    layer_of["${BASH_REMATCH[1]}"]=$layer
    modules=$((modules + 1))
  done
  layer=$((layer + 1))
done < <(awk '/^## Layers/ { section = 1; next }
              section && /^```/ { if (inside) exit; inside = 1; next }
              inside { print }' "$doc")
if [[ $modules -eq 0 ]]; then
  echo "check-layers.sh: no layer table under '## Layers' in $doc" >&2
  exit 2
fi

failures=0
for dir in "$src"/*/; do
  module=$(basename "$dir")
  if [[ -z "${layer_of[$module]+set}" ]]; then
    echo "$src/$module/: module missing from the layer table of $doc" >&2
    failures=$((failures + 1))
  fi
done

while IFS= read -r -d '' file; do
  case "$file" in *_test.cpp | *_pgtest.cpp | *_benchmark.cpp) continue ;; esac
  rel="${file#"$src"/}"
  module="${rel%%/*}"
  [[ -n "${layer_of[$module]+set}" ]] || continue  # reported above
  mine=${layer_of[$module]}
  lineno=0
  while IFS= read -r line; do
    lineno=$((lineno + 1))
    [[ "$line" =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]] || continue
    target="${BASH_REMATCH[1]}"
    if [[ "$target" == ../* || "$target" == */../* ]]; then
      echo "$file:$lineno: include \"$target\" climbs out of its directory; name it from src/" >&2
      failures=$((failures + 1))
      continue
    fi
    [[ "$target" == */* ]] || continue  # a header of the same directory
    other="${target%%/*}"
    [[ -n "${layer_of[$other]+set}" ]] || continue  # not a module of src/ (generated/, …)
    if [[ ${layer_of[$other]} -gt $mine ]]; then
      echo "$file:$lineno: $module/ (layer $mine) includes \"$target\" of $other/ (layer ${layer_of[$other]}), a layer above it" >&2
      failures=$((failures + 1))
    fi
  done <"$file"
done < <(find "$src" -type f \( -name '*.h' -o -name '*.cpp' \) -print0 | sort -z)

if [[ $failures -gt 0 ]]; then
  echo "check-layers.sh: $failures include(s) break the layer order of $doc" >&2
  exit 1
fi
echo "check-layers.sh: every include of $src/ runs down the layers of $doc"
