#!/usr/bin/env bash
# Creates .venv-pycsw with pycsw 2.6.2, the real CSW server that tests, the benchmark and the
# demo harvest talk to (scripts/pycsw_server.py runs in it). pycsw needs a virtualenv of its
# own: it pins OWSLib<0.29 and SQLAlchemy<2.0 and imports pkg_resources, none of which fit
# .venv. Every version is pinned in scripts/pycsw-constraints.txt; a stamp holding its hash
# makes re-runs free until it changes.
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit

venv=.venv-pycsw
constraints=scripts/pycsw-constraints.txt
stamp="$venv/.twin-installed"
python="${TWIN_PYTHON:-python3}"
digest=$(sha256sum "$constraints" | cut -d' ' -f1)

if [[ -f "$stamp" && "$(cat "$stamp")" == "$digest" ]]; then
    say "$venv is up to date"
    exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
    say "creating $venv with $("$python" --version)"
    "$python" -m venv "$venv"
fi

say "installing pycsw 2.6.2 into $venv (pinned by $constraints)"
rm -f "$stamp"
pip() {
    "$venv/bin/python" -m pip install -qq --disable-pip-version-check -c "$constraints" "$@" \
        || die "pip install $* failed"
}
pip pip
pip --build-constraint "$constraints" setuptools wheel
pip --build-constraint "$constraints" "setuptools<81" pycsw==2.6.2 "SQLAlchemy<2.0"
"$venv/bin/python" -W ignore -c "import pycsw.wsgi, pycsw.core.admin" \
    || die "pycsw does not import in $venv"
printf '%s\n' "$digest" >"$stamp"
