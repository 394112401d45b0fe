#!/usr/bin/env bash
# The portal's life cycle, on the rendered config/ckan.ini:
#   init     preflight, database schema (CKAN and plugins), demo sysadmin, partner organizations,
#            demo datasets, demo harvest sources of the partners' demo catalogs, harvested
#   serve    the web app, the harvest gather and fetch consumers, the harvest scheduler, the
#            demo catalogs and the demo CSW, in the foreground
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
    say "access policies from config/policies (ckan twin policy apply)"
    ckan twin policy apply
    # Platforms and partners read with tokens signed by the portal's key (docs/access.md).
    if ! .venv/bin/ckan -c "$ini" twin keys list 2>/dev/null | grep -q "active (signs"; then
        say "a signing key for platform and partner tokens (ckan twin keys rotate)"
        ckan twin keys rotate
    fi
    if [[ "$(setting TWIN_DEMO)" != "true" ]]; then
        say "TWIN_DEMO is not true: no demo datasets, no demo harvest sources"
        return
    fi
    say "demo datasets from config/demo/datasets.yaml (ckan twin demo-data)"
    ckan twin demo-data
    demo_harvest
}

# The partners' demo catalogs and demo CSW, harvested now so a newcomer sees a federated
# catalog at once. Their servers run only for the harvest (serve starts its own); ckan and die
# exit the script on failure, so an EXIT trap stops them then.
demo_harvest() {
    local port url csw_port csw_url
    port=$(setting TWIN_DEMO_CATALOG_PORT)
    url="http://127.0.0.1:$port"
    csw_port=$(setting TWIN_DEMO_CSW_PORT)
    csw_url="http://127.0.0.1:$csw_port/csw"
    say "demo partner catalogs from config/sources/catalogs on $url"
    demo_catalogs "$port" &
    catalogs=$!  # global: the EXIT trap runs after this function
    say "demo CSW (pycsw) with the ISO records of config/sources/csw on $csw_url"
    demo_csw "$csw_port" &
    csw=$!  # global, as catalogs
    trap 'kill "$catalogs" "$csw" 2>/dev/null || true' EXIT
    wait_for "$catalogs" "the demo catalogs" "$url/" 20
    wait_for "$csw" "the demo CSW" "$csw_url?service=CSW&version=2.0.2&request=GetCapabilities" 60
    say "demo harvest sources from config/sources/demo.yaml (ckan twin harvest demo-sources)"
    ckan twin harvest demo-sources
    say "harvesting every active harvest source (ckan twin harvest run --all)"
    ckan twin harvest run --all
    # Stopped and waited for here, not at exit: serve binds the same ports right after.
    kill "$catalogs" "$csw"
    wait "$catalogs" "$csw" || true
    trap - EXIT
}

# Waits until the server $1 (a pid) answers on $3, for at most $4 seconds.
wait_for() {
    local pid=$1 what=$2 url=$3 deadline=$((SECONDS + $4))
    until answers "$url"; do
        kill -0 "$pid" 2>/dev/null || die "$what did not start (see above)"
        ((SECONDS < deadline)) || die "$what did not answer on ${url%%\?*} within $4 s"
        sleep 0.2
    done
}

# Only ever run in the background: exec makes the server the process whose id the caller
# holds, so its signals reach the server itself rather than a subshell.
demo_catalogs() {
    exec .venv/bin/python -m ckanext.twin.demo_catalogs --port "$1" \
        --directory config/sources/catalogs
}

# pycsw 2.6.2 (.venv-pycsw, scripts/pycsw.sh) serving the partners' demo ISO records on
# http://127.0.0.1:$1/csw; its SQLite repository in var/ is re-used while the records stay
# the same. Only its "ready" line goes to /dev/null. Run in the background only, as above.
demo_csw() {
    exec .venv-pycsw/bin/python scripts/pycsw_server.py --port "$1" \
        --records config/sources/csw --database var/pycsw/demo-csw.sqlite >/dev/null
}

# ckanext-harvest marks a job finished, and starts the jobs of scheduled sources, only when
# `ckan harvester run` is called: cron's task in production, this loop's here. Its start-up
# INFO lines would repeat every minute, so only warnings and errors pass. A run in progress
# is let finish (a few seconds); the pause between runs ends at once on SIGTERM.
harvest_scheduler() {
    local pause="" round=0
    trap 'kill "$pause" 2>/dev/null || true; exit 0' TERM
    while true; do
        .venv/bin/ckan -c "$ini" harvester run 2>&1 >/dev/null | grep -v ' INFO ' >&2 || true
        # Hourly: datasets whose embargo has passed are decided again (cron's daily task
        # in production, docs/policies.md).
        if ((round++ % 60 == 0)); then
            .venv/bin/ckan -c "$ini" twin policy reevaluate 2>&1 >/dev/null \
                | grep -v ' INFO ' >&2 || true
        fi
        sleep 60 &
        pause=$!
        wait "$pause" || true
    done
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
        "$1" 2>/dev/null
}

all_alive() {
    local pid
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || return 1
    done
}

serve() {
    local port site_url local_url demo_port csw_port dead status=0
    port=$(setting TWIN_PORT)
    demo_port=$(setting TWIN_DEMO_CATALOG_PORT)
    csw_port=$(setting TWIN_DEMO_CSW_PORT)
    site_url=$(setting TWIN_SITE_URL)
    local_url="http://127.0.0.1:$port"
    trap 'say "stopping"; stop; exit 130' INT
    trap 'say "stopping"; stop; exit 143' TERM

    say "starting the web app on $local_url, the harvest gather and fetch consumers, the" \
        "harvest scheduler, the demo catalogs and the demo CSW"
    # The program itself, not the ckan function: a function would run in a subshell, and
    # the signals from stop() would reach that subshell instead of CKAN.
    # -r: no reloader process, so the signals reach the server itself;
    # -D: no interactive Werkzeug debugger on a portal; -t: one slow request blocks no other.
    start web .venv/bin/ckan -c "$ini" run -H 127.0.0.1 -p "$port" -r -D -t
    start gather-consumer .venv/bin/ckan -c "$ini" harvester gather-consumer
    start fetch-consumer .venv/bin/ckan -c "$ini" harvester fetch-consumer
    # Functions, yet stopped the same way: the scheduler's trap ends its subshell on SIGTERM,
    # and the catalog and CSW servers replace their subshells (exec).
    start harvest-scheduler harvest_scheduler
    if [[ "$(setting TWIN_DEMO)" == "true" ]]; then
        start demo-catalogs demo_catalogs "$demo_port"
        start demo-csw demo_csw "$csw_port"
    fi

    local deadline=$((SECONDS + 120))
    until answers "$local_url/api/3/action/status_show"; do
        all_alive || break  # reported by wait -n below
        if ((SECONDS >= deadline)); then
            stop
            die "the web app did not answer on $local_url within 120 s"
        fi
        sleep 0.3
    done
    if all_alive; then
        say "ready: $local_url (site URL $site_url, API $local_url/api/3/action/status_show)"
        if [[ "$(setting TWIN_DEMO)" == "true" ]]; then
            say "demo partner catalogs (harvest sources): http://127.0.0.1:$demo_port/ and" \
                "the demo CSW http://127.0.0.1:$csw_port/csw"
        fi
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
