#!/usr/bin/env bash
# The portal's life cycle, on the rendered config/ckan.ini:
#   init     preflight, database schema (CKAN and plugins), demo sysadmin, partner organizations
#   serve    the web app and the harvest gather and fetch consumers, in the foreground
#   test-db  the schema of the test database (config/test.ini)
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit

ini=config/ckan.ini
ckan() { .venv/bin/ckan -c "$ini" "$@" || die "ckan -c $ini $* failed (exit $?)"; }
setting() { python3 scripts/render_config.py --get "$1"; }

# The check behind `ckan twin check`, run without CKAN: any ckan command connects to the
# database while loading its config, so with PostgreSQL down it would end in a traceback
# instead of one line. That line is the failure message: nothing to add to it.
preflight() {
    say "preflight: PostgreSQL and Redis as configured in $ini"
    .venv/bin/python -m ckanext.twin.preflight "$ini" || exit 1
}

init() {
    preflight
    # `db init` migrates CKAN and every enabled plugin, harvest included: a separate
    # `db upgrade -p harvest` would only start CKAN once more (3-4 s) to find nothing to do.
    say "database schema of CKAN and its plugins (ckan db init)"
    ckan db init
    say "demo sysadmin (ckan twin demo-admin)"
    ckan twin demo-admin
    say "partner organizations from config/partners.yaml (ckan twin partners sync)"
    ckan twin partners sync
    say "demo datasets from config/demo/datasets.yaml (ckan twin demo-data)"
    ckan twin demo-data
}

test_db() {
    ini=config/test.ini
    preflight
    # test.ini starts CKAN without harvest (each test enables the plugins it needs), so its
    # `db init` would leave out the harvest tables. An ini layered on it (CKAN's
    # `use = config:` chain) adds harvest to its plugins for this one command.
    local plugins
    plugins=$(sed -n 's/^ckan\.plugins *= *//p' "$ini")
    layered=$(mktemp --suffix=.ini)  # global: the EXIT trap runs after this function
    trap 'rm -f "$layered"' EXIT
    printf '[app:main]\nuse = config:%s\nckan.plugins = %s harvest\n' "$ROOT/$ini" "$plugins" \
        >"$layered"
    say "test database schema of CKAN and harvest (ckan db init on $ini plus harvest)"
    ini=$layered
    ckan db init
}

pids=()
declare -A names=()

# Started in the background of a non-interactive shell, children ignore SIGINT: Ctrl-C
# reaches only this script, whose trap stops all of them the same way.
start() {
    local name=$1
    shift
    "$@" &
    pids+=("$!")
    names[$!]=$name
}

# SIGTERM, then 10 s to finish the request or harvest object at hand, then SIGKILL.
stop() {
    trap - INT TERM
    kill -TERM "${pids[@]}" 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while kill -0 "${pids[@]}" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            kill -KILL "${pids[@]}" 2>/dev/null || true
            break
        fi
        sleep 0.2
    done
    wait || true
}

answers() {
    .venv/bin/python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
        "$1/api/3/action/status_show" 2>/dev/null
}

all_alive() {
    local pid
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || return 1
    done
}

serve() {
    local port site_url local_url dead status=0
    port=$(setting TWIN_PORT)
    site_url=$(setting TWIN_SITE_URL)
    local_url="http://127.0.0.1:$port"
    trap 'say "stopping"; stop; exit 130' INT
    trap 'say "stopping"; stop; exit 143' TERM

    say "starting the web app on $local_url and the harvest gather and fetch consumers"
    # The program itself, not the ckan function: a function would run in a subshell, and
    # the signals from stop() would reach that subshell instead of CKAN.
    # -r: no reloader process, so the signals reach the server itself;
    # -D: no interactive Werkzeug debugger on a portal; -t: one slow request blocks no other.
    start web .venv/bin/ckan -c "$ini" run -H 127.0.0.1 -p "$port" -r -D -t
    start gather-consumer .venv/bin/ckan -c "$ini" harvester gather-consumer
    start fetch-consumer .venv/bin/ckan -c "$ini" harvester fetch-consumer

    local deadline=$((SECONDS + 120))
    until answers "$local_url"; do
        all_alive || break  # reported by wait -n below
        if ((SECONDS >= deadline)); then
            stop
            die "the web app did not answer on $local_url within 120 s"
        fi
        sleep 0.3
    done
    if all_alive; then
        say "ready: $local_url (site URL $site_url, API $local_url/api/3/action/status_show)"
        say "demo sysadmin login: config/demo-credentials.txt; Ctrl-C stops the portal"
    fi

    wait -n -p dead "${pids[@]}" || status=$?
    stop
    die "${names[$dead]} exited (status $status), stopped the others"
}

case "${1:-}" in
    init) init ;;
    serve) serve ;;
    test-db) test_db ;;
    *) die "usage: scripts/portal.sh init|serve|test-db" ;;
esac
