# Entry points of the portal. The steps live in scripts/, one job each, all safe to re-run;
# docs/operations.md explains them and the environment variables that override defaults.
SHELL := /bin/bash

.PHONY: help run setup test test-setup test-ckan-search bench prerequisites

help:
	@echo "make run               set up and serve the portal (foreground; Ctrl-C stops it)"
	@echo "make setup             everything 'run' needs, without serving"
	@echo "make test              set up what the tests need and run them"
	@echo "make test-ckan-search  CKAN's own search tests against the PostgreSQL backend"
	@echo "make bench             run the benchmarks in bench/"

# Debian packages, PostgreSQL and Redis, the twin role and databases, .venv, .venv-pycsw.
prerequisites:
	@bash scripts/debian-packages.sh
	@bash scripts/services.sh
	@bash scripts/database.sh
	@bash scripts/venv.sh
	@bash scripts/pycsw.sh

setup: prerequisites
	@python3 scripts/render_config.py --only ckan
	@bash scripts/portal.sh init

run: setup
	@bash scripts/portal.sh serve

test-setup: prerequisites
	@python3 scripts/render_config.py --only test
	@bash scripts/portal.sh test-db

# Our suite, then CKAN's own search tests against the PostgreSQL backend.
test: test-setup
	.venv/bin/pytest
	@bash scripts/ckan-search-tests.sh -q

test-ckan-search: test-setup
	@bash scripts/ckan-search-tests.sh

bench: prerequisites
	@if [[ -f bench/__main__.py ]]; then .venv/bin/python -m bench; \
	else echo "bench: no benchmarks yet (bench/__main__.py does not exist)"; fi
