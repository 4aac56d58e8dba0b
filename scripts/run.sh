#!/usr/bin/env bash
# `make run`: set up, load the demo workshop, print the addresses, start daphne.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"

scripts/bootstrap.sh
PY=.venv/bin/python
echo "==> preparing the database and static files"
$PY manage.py migrate --noinput -v0
$PY manage.py collectstatic --noinput -v0
$PY manage.py load_demo --if-missing
login=$($PY manage.py facilitator --username facilitator)

shown_host="$HOST"
[ "$HOST" = "0.0.0.0" ] && shown_host="127.0.0.1"
base="http://$shown_host:$PORT"
cat <<MSG

================================================================================
 Workshop Live is starting on $base
$($PY manage.py show_urls --base "$base")

  Facilitator login  $login
  (staff account in the Facilitators group; change it in admin)
================================================================================
 Phones on the room's Wi-Fi: run  HOST=0.0.0.0 DJANGO_ALLOWED_HOSTS=<this laptop's IP>,localhost make run
 Stop with Ctrl-C.

MSG
exec .venv/bin/daphne -b "$HOST" -p "$PORT" --proxy-headers workshop.asgi:application
