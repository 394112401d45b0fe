#!/usr/bin/env bash
# Installs the Debian packages the portal and its tests need, only those that are missing,
# so an already set-up machine spends no time here.
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

packages=(
    postgresql postgresql-15-postgis-3 redis-server  # the services
    gcc libpq-dev python3-dev python3-venv           # building psycopg2 in the venv
    libmagic1                                        # python-magic (CKAN uploads)
    git make                                         # make: the entry point itself
    chromium chromium-driver                         # browser tests
)

# One dpkg-query for all: it names the installed ones ("ii"); unknown names only go to stderr.
installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${packages[@]}" 2>/dev/null \
    | awk '$1 == "ii" { print $2 }' || true)
missing=()
for package in "${packages[@]}"; do
    grep -qx "$package" <<<"$installed" || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
    say "all ${#packages[@]} packages present"
    exit 0
fi
if ((EUID != 0)); then
    die "missing Debian packages, install them as root: apt-get install ${missing[*]}"
fi

say "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || die "apt-get update failed"
apt-get install -y -qq "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
