#!/usr/bin/env bash
# Creates the local role twin and the databases twin_dev and twin_test (owned by twin, with
# PostGIS and unaccent), as the postgres superuser. Safe to re-run; skipped for an external
# database (TWIN_DB_URL), which its operator provisions.
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

if [[ -n "${TWIN_DB_URL:-}" ]]; then
    say "database is external (TWIN_DB_URL), not provisioned"
    exit 0
fi
((EUID == 0)) || die "creating the role and databases needs root (runs psql as postgres)"

# From /: psql as postgres would complain that it cannot enter the caller's directory.
cd /
# Quiet: re-runs would otherwise print a NOTICE for every object that already exists.
psql_as_postgres() {
    runuser -u postgres -- env PGOPTIONS='-c client_min_messages=warning' \
        psql -X -q -v ON_ERROR_STOP=1 "$@"
}

say "role twin, databases twin_dev and twin_test with postgis and unaccent"
# ALTER as well as CREATE: an existing role converges to what the default URLs expect.
# UTF8 explicitly: a cluster created under LANG=C would default to SQL_ASCII.
psql_as_postgres -d postgres <<'SQL' || die "could not create the role twin or the databases"
SELECT 'CREATE ROLE twin' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'twin') \gexec
ALTER ROLE twin LOGIN PASSWORD 'twin';
SELECT format('CREATE DATABASE %I OWNER twin ENCODING %L LC_COLLATE %L LC_CTYPE %L TEMPLATE template0',
              name, 'UTF8', 'C.UTF-8', 'C.UTF-8')
  FROM unnest(ARRAY['twin_dev', 'twin_test']) AS name
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = name) \gexec
SQL

# PostGIS lives in its own schema, kept off the search_path (so SQL names it postgis.*):
# CKAN's `db clean` and its tests' clean_db drop every table SQLAlchemy sees through the
# search_path, and PostGIS's spatial_ref_sys cannot be dropped. One found in another schema
# is moved; the DROP refuses (and this script stops) if any column already uses its types.
for db in twin_dev twin_test; do
    psql_as_postgres -d "$db" <<'SQL' || die "could not set up PostGIS and unaccent in $db"
CREATE SCHEMA IF NOT EXISTS postgis AUTHORIZATION twin;
DO $$BEGIN
    IF EXISTS (SELECT FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                WHERE e.extname = 'postgis' AND n.nspname <> 'postgis') THEN
        DROP EXTENSION postgis;
    END IF;
END$$;
CREATE EXTENSION IF NOT EXISTS postgis SCHEMA postgis;
CREATE EXTENSION IF NOT EXISTS unaccent;
SQL
done
