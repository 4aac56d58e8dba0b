#!/usr/bin/env bash
# `make run`: set up, load the demo workshop, print the addresses, start daphne.
set -euo pipefail
cd "$(dirname "$0")/.."
# Every interface by default, so that phones on the room's network can join;
# HOST=127.0.0.1 make run: a private rehearsal, on this laptop only.
HOST="${HOST:-0.0.0.0}"
PORT="${PORT:-8000}"

scripts/bootstrap.sh
# var/ holds the database, sessions, the secret key and the facilitator's password: everything
# created from here on is owner only. var/ itself stays passable (not listable) by others so
# that nginx's workers (scripts/serve.py) can read var/static, which is public. An older
# install's var/ and files are tightened the same way.
# WORKSHOP_VAR_DIR moves it elsewhere (README, "Environment variables").
umask 077
var="${WORKSHOP_VAR_DIR:-var}"
mkdir -p "$var"
chmod 711 "$var"
chmod go-rwx "$var"/db.sqlite3* "$var"/secret_key "$var"/*-password 2>/dev/null || true
PY=.venv/bin/python
echo "==> preparing the database and static files"
$PY manage.py migrate --noinput -v0
(umask 022 && $PY manage.py collectstatic --noinput -v0)  # public files, readable by nginx
$PY manage.py load_demo --if-missing
# Delete attendees older than WORKSHOP_PURGE_ATTENDEES_DAYS (default 30; 0: never), docs/data.md.
$PY manage.py purge_attendees
login=$($PY manage.py facilitator --username facilitator)

# The address phones use (this laptop's on the room's network: workshop/lan.py) goes in the
# printed links, the QR code and the join link; the app allows it as a host and an origin.
room=$($PY -m workshop.lan "$HOST" "$PORT")
note=""
[[ "$room" == *$'\n'* ]] && note="${room#*$'\n'}"  # $(...) drops an empty second line
base="${WORKSHOP_PUBLIC_URL:-${room%%$'\n'*}}"
export WORKSHOP_PUBLIC_URL="$base"
rule="================================================================================"
cat <<MSG

$rule
 Workshop Live is starting on $base
$($PY manage.py show_urls --base "$base")

  Facilitator login  $login
  (staff account in the Facilitators group: it opens the console and the admin.
   Change the password in admin; var/facilitator-password, which keeps the
   generated one, is then deleted)
$rule
MSG
if [ -n "$note" ]; then
  printf '%s\n' "$note" | fold -s -w 74 | sed -e '1s/^/ !! /' -e '2,$s/^/    /'
else
  echo " Phones on the same network as this laptop join at $base"
fi
printf ' Stop with Ctrl-C.\n\n'
# No --proxy-headers: nothing stands in front of this daphne, so X-Forwarded-For and
# X-Forwarded-Proto come from the client and must not be believed (scripts/serve.py, behind
# nginx, does pass them).
# --websocket_connect_timeout: daphne refuses a socket not accepted within 5 s by default; when
# a whole room reconnects at once (after a restart) most wait longer in the queue, are refused
# after the work is done, and come back again (docs/performance.md, "A worker killed").
exec .venv/bin/daphne -b "$HOST" -p "$PORT" --websocket_connect_timeout 120 \
  workshop.asgi:application
