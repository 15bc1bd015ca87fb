#!/usr/bin/env bash
# The default cap, then none (bench/README.md, "Connections"). Run under
# build/pg_harness: build/pg_harness -- bench/connections/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 bench/connections/memory.py
python3 bench/connections/memory.py 100000
