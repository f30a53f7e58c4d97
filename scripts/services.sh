#!/usr/bin/env bash
# Installs (from Debian packages) and starts a private PostgreSQL 15 cluster and a Redis server on
# loopback for the test suite and the benchmark. Idempotent: a second `start` reuses running servers.
#
#   scripts/services.sh start   # prints KEY=VALUE lines: WSB_PG_URL, WSB_REDIS_URL
#   scripts/services.sh stop
#   scripts/services.sh env     # prints the KEY=VALUE lines of running servers
#
# Ports: WSB_PG_PORT (default 55432) and WSB_REDIS_PORT (default 56379). Nothing listens beyond 127.0.0.1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_PORT="${WSB_PG_PORT:-55432}"
REDIS_PORT="${WSB_REDIS_PORT:-56379}"
STATE="${WSB_SERVICES_DIR:-${TMPDIR:-/tmp}/wsb-services-$(id -u)-${PG_PORT}}"
PG_PASSWORD="wsb"

log() { echo "services: $*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else
    log "need root to run: $*"; return 1; fi
}

pg_bindir() {
  local d
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

install_packages() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  pg_bindir >/dev/null || missing+=(postgresql-15)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} from Debian packages"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-upgrade "${missing[@]}" >&2
}

# Runs a PostgreSQL binary as a user that may own the data directory (root may not).
pg_run() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; else "$@"; fi
}

pg_running() { [ -f "$STATE/pg/data/postmaster.pid" ] && pg_run "$(pg_bindir)/pg_ctl" -D "$STATE/pg/data" status >/dev/null 2>&1; }

start_pg() {
  local bin; bin="$(pg_bindir)"
  if pg_running; then tune_pg; return 0; fi
  mkdir -p "$STATE/pg"
  [ "$(id -u)" = 0 ] && chown postgres: "$STATE/pg"
  if [ ! -f "$STATE/pg/data/PG_VERSION" ]; then
    local pwfile="$STATE/pg/pw"
    echo "$PG_PASSWORD" > "$pwfile"
    [ "$(id -u)" = 0 ] && chown postgres: "$pwfile"
    pg_run "$bin/initdb" -D "$STATE/pg/data" -U postgres --pwfile="$pwfile" --auth-local=trust \
      --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$STATE/pg/initdb.log" 2>&1
  fi
  # Tests and benchmarks need no durability: fsync off keeps commits off the disk's latency.
  pg_run "$bin/pg_ctl" -D "$STATE/pg/data" -l "$STATE/pg/log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $STATE/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
  tune_pg
}

# A benchmark fills an empty database in seconds, where a platform's grows over months. The server
# visits a new database often at first, but with many databases present (a test run makes many) each
# waits a whole naptime for its turn: at 1 s instead of a minute, the planner's statistics (and the
# plans of the bridge's prepared statements, made again when they change) follow the tables as they
# grow. Set on every start and applied by a reload, so a server started by an older copy gets it too.
tune_pg() {
  pg_run "$(pg_bindir)/psql" -h "$STATE/pg" -p "$PG_PORT" -U postgres -d postgres -qAt \
    -c "ALTER SYSTEM SET autovacuum_naptime = '1s'" -c "SELECT pg_reload_conf()" >/dev/null
}

stop_pg() {
  pg_running || return 0
  pg_run "$(pg_bindir)/pg_ctl" -D "$STATE/pg/data" -m fast -w stop >/dev/null || true
}

redis_running() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; }

start_redis() {
  if redis_running; then return 0; fi
  mkdir -p "$STATE/redis"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --pidfile "$STATE/redis/redis.pid" \
    --dir "$STATE/redis" --save '' --appendonly no --logfile "$STATE/redis/redis.log" >/dev/null
  for _ in $(seq 1 200); do redis_running && return 0; sleep 0.05; done
  log "redis did not answer on 127.0.0.1:$REDIS_PORT"; return 1
}

stop_redis() { redis_running && redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; }

print_env() {
  echo "WSB_PG_URL=postgres://postgres:${PG_PASSWORD}@127.0.0.1:${PG_PORT}/postgres"
  echo "WSB_REDIS_URL=redis://127.0.0.1:${REDIS_PORT}"
}

case "${1:-}" in
  start)
    install_packages
    started=0
    pg_running || started=1
    redis_running || started=1
    start_pg
    start_redis
    print_env
    # Lets a caller stop only servers it started itself (others may be sharing them).
    echo "WSB_STARTED=$started"
    ;;
  stop) stop_redis; stop_pg; log "stopped" ;;
  env) pg_running && redis_running && print_env ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 64 ;;
esac
