#!/usr/bin/env bash
# Create (or refresh) the project-local venv at .venv with the pinned Python tools.
# Idempotent: a stamp file records the requirements it was built from.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
req="$root/tools/requirements.txt"
py="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  echo "[venv] creating $venv" >&2
  "$py" -m venv "$venv"
fi
stamp="$venv/.simdpar-requirements"
if ! cmp -s "$req" "$stamp" 2>/dev/null; then
  echo "[venv] installing pinned tools from tools/requirements.txt" >&2
  "$venv/bin/python" -m pip install -q --upgrade pip >&2
  "$venv/bin/python" -m pip install -q -r "$req" >&2
  cp "$req" "$stamp"
fi
echo "$venv"
