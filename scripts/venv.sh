#!/usr/bin/env bash
# Creates .venv and installs the project (editable) with its test extras at the versions
# pinned in constraints.txt. A stamp holding the hash of constraints.txt and setup.py makes
# re-runs free until one of them changes.
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit

venv=.venv
stamp="$venv/.twin-installed"
python="${TWIN_PYTHON:-python3}"
digest=$(cat constraints.txt setup.py | sha256sum | cut -d' ' -f1)

if [[ -f "$stamp" && "$(cat "$stamp")" == "$digest" ]]; then
    say "$venv is up to date"
    exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
    say "creating $venv with $("$python" --version)"
    "$python" -m venv "$venv"
fi

say "installing the project into $venv (pinned by constraints.txt; a few minutes)"
rm -f "$stamp"
# pip itself first, so that the pinned pip (which knows --build-constraint) does the rest;
# --build-constraint: sdists build with the pinned setuptools too (<81: CKAN and its
# extensions still import pkg_resources).
pip() {
    "$venv/bin/python" -m pip install -qq --disable-pip-version-check -c constraints.txt "$@" \
        || die "pip install $* failed"
}
pip pip
pip --build-constraint constraints.txt setuptools wheel
pip --build-constraint constraints.txt -e ".[test]"
printf '%s\n' "$digest" >"$stamp"
