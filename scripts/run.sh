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
# Delete attendees older than WORKSHOP_PURGE_ATTENDEES_DAYS (default 30; 0: never), docs/data.md.
$PY manage.py purge_attendees
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
# --websocket_connect_timeout: daphne refuses a socket not accepted within 5 s by default; when
# a whole room reconnects at once (after a restart) most wait longer in the queue, are refused
# after the work is done, and come back again (docs/performance.md, "A worker killed").
exec .venv/bin/daphne -b "$HOST" -p "$PORT" --proxy-headers --websocket_connect_timeout 120 \
  workshop.asgi:application
