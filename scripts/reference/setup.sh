#!/usr/bin/env bash
# Creates scripts/reference/.venv with the trusted implementations the fixtures come from.
# They are never a runtime dependency of driftwatch: only these scripts import them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$here/.venv/bin/python" ]; then
  python3 -m venv "$here/.venv"
fi
"$here/.venv/bin/pip" install -q -r "$here/requirements.txt"
echo "$here/.venv/bin/python"
