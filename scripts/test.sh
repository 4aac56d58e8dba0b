#!/usr/bin/env bash
# `make test`: install everything the tests need, then run lint and every test.
# The browser tests run as a second pytest process: Playwright's event loop must not share a
# process with the async consumer tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --dev
scripts/system-deps.sh
PY=.venv/bin/python

echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "==> migrations are up to date"
$PY manage.py makemigrations --check --dry-run -v0 --settings=workshop.settings_test

echo "==> services, selectors, views, admin, consumers"
.venv/bin/pytest -m "not browser" "$@"

echo "==> browser (Playwright + Debian Chromium)"
.venv/bin/pytest -m browser "$@"
