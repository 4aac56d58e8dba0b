#!/usr/bin/env bash
# Creates .venv with a Python 3.12+ and the locked dependencies.
#   scripts/bootstrap.sh          runtime dependencies only (make run)
#   scripts/bootstrap.sh --dev    runtime + test and lint tools (make test)
# Finds an interpreter itself: $PYTHON, then python3.13/python3.12/python3 on PATH, then pyenv's
# versions. uv (pinned) is installed into .tools/ with that interpreter's pip, so nothing global
# is needed beyond Python 3.12+ with the venv module.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION="0.13.9"

is_ok() {  # prints the interpreter's full path when it is CPython >= 3.12 with venv
  "$1" -c 'import sys, venv; assert sys.version_info >= (3, 12); print(sys.executable)' 2>/dev/null
}

find_python() {
  local c found
  for c in "${PYTHON:-}" python3.13 python3.12 python3; do
    [ -n "$c" ] || continue
    command -v "$c" >/dev/null 2>&1 || continue
    if found=$(is_ok "$(command -v "$c")"); then echo "$found"; return 0; fi
  done
  # Newest first.
  for c in $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 \
             /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9] 2>/dev/null | sort -rV); do
    [ -x "$c" ] || continue
    if found=$(is_ok "$c"); then echo "$found"; return 0; fi
  done
  return 1
}

if ! PY=$(find_python); then
  cat >&2 <<'MSG'
Workshop Live needs Python 3.12 or newer (with the venv module), and none was found.
Looked at: $PYTHON, python3.13, python3.12 and python3 on PATH, and ~/.pyenv/versions/3.12+.
Install one (e.g. `apt-get install python3.12-venv`, or `pyenv install 3.13`) or point
PYTHON at it:  PYTHON=/path/to/python3.12 make run
MSG
  exit 1
fi

if [ ! -x .tools/bin/uv ] || ! .tools/bin/uv --version 2>/dev/null | grep -q "$UV_VERSION"; then
  echo "==> installing uv $UV_VERSION into .tools/ (with $PY)"
  rm -rf .tools
  "$PY" -m venv .tools
  .tools/bin/pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi

# A .venv made by another interpreter (or a broken one) is replaced.
if [ -x .venv/bin/python ] && ! is_ok .venv/bin/python >/dev/null; then rm -rf .venv; fi

export UV_PYTHON="$PY" UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=.venv
if [ "${1:-}" = "--dev" ]; then
  .tools/bin/uv sync --frozen --quiet
else
  # --inexact keeps test tools a previous `make test` installed.
  .tools/bin/uv sync --frozen --quiet --no-dev --inexact
fi
echo "==> .venv ready ($(.venv/bin/python --version))"
