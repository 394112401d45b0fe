#!/usr/bin/env bash
# Runs CKAN's own search tests (shipped inside the ckan package) against the PostgreSQL
# backend. The three exclusions and their reasons are listed in docs/search.md.
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit

tests=$(.venv/bin/python -c 'import ckan.tests, os; print(os.path.dirname(ckan.tests.__file__))')
say "CKAN's search tests from $tests against twin_search"
exec .venv/bin/pytest \
    "$tests/lib/search" "$tests/logic/action/test_get.py::TestPackageSearch" \
    --deselect "$tests/lib/search/test_search.py::test_check_invalid_schema" \
    --deselect "$tests/lib/search/test_search.py::test_check_schema_with_wrong_version" \
    --deselect "$tests/lib/search/test_search.py::test_allowed_local_params_via_config" \
    "$@"
