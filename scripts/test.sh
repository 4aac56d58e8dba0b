#!/usr/bin/env bash
# `make test`: install everything the tests need, then run lint and every test.
#  1. services, selectors, views, admin, consumers on the embedded default (SQLite, in-memory layer)
#     security: the protections of docs/security.md (hostile clients, login throttling, files,
#     headers, deploy settings), as a stage of its own
#  2. the same against PostgreSQL and Redis (throwaway servers on loopback, started here), on
#     both of channels-redis's layers (pub/sub, the default, and core)
#  3. scale-out: several daphne workers sharing Redis and PostgreSQL, with fault tests, on
#     both Redis channel layers (core and pub/sub)
#  4. the browser (Playwright + Debian Chromium), as a separate pytest process: Playwright's
#     event loop must not share a process with the async consumer tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --dev
scripts/system-deps.sh
PY=.venv/bin/python

echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "==> import contracts: the layers point down (pyproject.toml, docs/architecture.md)"
.venv/bin/lint-imports --no-cache

echo "==> migrations are up to date"
$PY manage.py makemigrations --check --dry-run -v0 --settings=workshop.settings_test

echo "==> 1/4 services, selectors, views, admin, consumers (SQLite, in-memory layer)"
.venv/bin/pytest -m "not browser and not scaleout and not security" -p no:cacheprovider "$@"

echo "==> security: hostile clients, login throttling, files, headers, deploy settings"
.venv/bin/pytest -m "security and not browser" -p no:cacheprovider "$@"

services=$(mktemp -d /tmp/workshop-live-services.XXXXXX)
chmod 755 "$services"
trap 'scripts/services.sh stop "$services"; rm -rf "$services"' EXIT
scripts/services.sh start "$services"
(
  # shellcheck disable=SC1091
  source "$services/env"
  # on both of channels-redis's layers: each has its own way of recovering from a Redis fault
  for layer in pubsub core; do
    echo "==> 2/4 the same against PostgreSQL and Redis ($layer layer)"
    WORKSHOP_REDIS_LAYER=$layer .venv/bin/pytest -m "not browser and not scaleout" -p no:cacheprovider "$@"
  done
  for layer in pubsub core; do
    echo "==> 3/4 scale-out: daphne workers sharing Redis ($layer layer) and PostgreSQL, and faults"
    WORKSHOP_REDIS_LAYER=$layer WORKSHOP_SERVICES_DIR="$services" \
      .venv/bin/pytest -m scaleout -p no:cacheprovider "$@"
  done
)

echo "==> 4/4 browser (Playwright + Debian Chromium)"
.venv/bin/pytest -m browser -p no:cacheprovider "$@"
