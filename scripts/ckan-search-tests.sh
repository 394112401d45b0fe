#!/usr/bin/env bash
# Runs CKAN's own search tests (shipped inside the ckan package) against the PostgreSQL
# backend. The three exclusions and their reasons are listed in docs/search.md.
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit

# Relative to the repository: pytest matches --deselect against node ids relative to it,
# by prefix (hence -k for the one whose name starts another test's).
tests=$(.venv/bin/python -c 'import ckan.tests, os; print(os.path.relpath(os.path.dirname(ckan.tests.__file__)))')
say "CKAN's search tests from $tests against twin_search"
exec .venv/bin/pytest -p tests.ckan_upstream \
    "$tests/lib/search" "$tests/logic/action/test_get.py::TestPackageSearch" \
    --deselect "$tests/lib/search/test_search.py::test_check_invalid_schema" \
    --deselect "$tests/lib/search/test_search.py::test_check_schema_with_wrong_version" \
    -k "not test_allowed_local_params_via_config or test_allowed_local_params_via_config_not_defined" \
    "$@"
