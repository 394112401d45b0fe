#!/usr/bin/env bash
# Starts the local PostgreSQL 15 and Redis if they are not answering. Works without systemd.
# An operator who points the portal at external services (TWIN_DB_URL, TWIN_REDIS_URL)
# gets no local ones.
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

# Waits up to 30 s for "$@" to succeed: a started daemon takes a moment to accept clients.
wait_for() {
    local deadline=$((SECONDS + 30))
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

postgres_up() { pg_isready -q -h 127.0.0.1; }
redis_up() { [[ "$(redis-cli -h 127.0.0.1 ping 2>/dev/null)" == PONG ]]; }

if [[ -n "${TWIN_DB_URL:-}" ]]; then
    say "PostgreSQL is external (TWIN_DB_URL), none started"
elif postgres_up; then
    say "PostgreSQL is running"
else
    say "starting PostgreSQL 15"
    ((EUID == 0)) || die "PostgreSQL is not running and starting it needs root"
    # A cluster that is still starting up ("online" but not ready) must not be started twice.
    pg_ctlcluster --skip-systemctl-redirect 15 main status >/dev/null \
        || pg_ctlcluster --skip-systemctl-redirect 15 main start
    wait_for postgres_up || die "PostgreSQL does not accept connections on 127.0.0.1:5432 (see /var/log/postgresql/)"
fi

if [[ -n "${TWIN_REDIS_URL:-}" ]]; then
    say "Redis is external (TWIN_REDIS_URL), none started"
elif redis_up; then
    say "Redis is running"
else
    say "starting Redis"
    mkdir -p "$ROOT/var/log"
    # A cache and a queue only: no persistence, so nothing is written beside the repo.
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
        --logfile "$ROOT/var/log/redis.log"
    wait_for redis_up || die "Redis does not answer on 127.0.0.1:6379 (see var/log/redis.log)"
fi
