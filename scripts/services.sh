#!/usr/bin/env bash
# Throwaway redis-server and PostgreSQL cluster on loopback, for the scale-out tests.
#   scripts/services.sh start DIR   starts both, writes DIR/env (REDIS_URL, DATABASE_URL)
#   scripts/services.sh stop DIR    stops both (also safe when they are not running)
#   scripts/services.sh restart-redis DIR   restarts Redis alone on the same port (its data
#                                   goes: it runs without persistence), for fault tests
# Nothing is left behind outside DIR. Redis runs with a pidfile; no systemd.
set -euo pipefail
cmd="${1:?start|stop|restart-redis}"; dir="${2:?directory}"
mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"

pg_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  command -v pg_ctl >/dev/null 2>&1 && { dirname "$(command -v pg_ctl)"; return 0; }
  return 1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

redis_start() {
  redis-server --bind 127.0.0.1 --port "$1" --save '' --appendonly no --dir "$dir/redis" \
    --daemonize yes --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log"
}

redis_wait() {
  for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "redis on port $1 did not answer" >&2; return 1
}

as_pg() {  # PostgreSQL refuses to run as root: use the postgres account then
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  command -v redis-server >/dev/null || { echo "redis-server is missing (apt-get install redis-server)" >&2; exit 1; }
  PG=$(pg_bin) || { echo "PostgreSQL server binaries are missing (apt-get install postgresql)" >&2; exit 1; }
  "$0" stop "$dir" >/dev/null 2>&1 || true
  rport=$(free_port); pport=$(free_port)
  mkdir -p "$dir/redis" "$dir/pg"
  redis_start "$rport"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir/pg"
  as_pg "$PG/initdb" -D "$dir/pg/data" --auth=trust -U postgres -E UTF8 >"$dir/pg/initdb.log" 2>&1
  # fsync stays on: the figures should be honest about durability.
  as_pg "$PG/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pport -k $dir/pg -c max_connections=200" start >/dev/null
  redis_wait "$rport"
  # The database DATABASE_URL names (tests and the bench make their own besides).
  as_pg "$PG/createdb" -h 127.0.0.1 -p "$pport" -U postgres workshop
  echo "$rport" > "$dir/redis.port"; echo "$pport" > "$dir/pg.port"; echo "$PG" > "$dir/pg.bin"
  cat > "$dir/env" <<ENV
export REDIS_URL=redis://127.0.0.1:$rport/0
export DATABASE_URL=postgres://postgres@127.0.0.1:$pport/workshop
ENV
  echo "==> redis on 127.0.0.1:$rport, PostgreSQL on 127.0.0.1:$pport (data in $dir)"
  ;;
stop)
  if [ -f "$dir/redis/redis.pid" ]; then kill "$(cat "$dir/redis/redis.pid")" 2>/dev/null || true; rm -f "$dir/redis/redis.pid"; fi
  if [ -f "$dir/pg.bin" ] && [ -d "$dir/pg/data" ]; then
    as_pg "$(cat "$dir/pg.bin")/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  ;;
restart-redis)
  rport=$(cat "$dir/redis.port")
  redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
  for _ in $(seq 200); do [ -f "$dir/redis/redis.pid" ] || break; sleep 0.05; done
  redis_start "$rport"
  redis_wait "$rport"
  ;;
*) echo "usage: $0 start|stop|restart-redis DIR" >&2; exit 2 ;;
esac
