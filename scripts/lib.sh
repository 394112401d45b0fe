# shellcheck shell=bash
# Sourced by the scripts in this folder: strict mode, the repo root, one-line messages.
set -Eeuo pipefail

# shellcheck disable=SC2034  # ROOT is for the scripts that source this file
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAME="$(basename "$0" .sh)"

say() { printf '%s: %s\n' "$NAME" "$*"; }
die() { printf '%s: error: %s\n' "$NAME" "$*" >&2; exit 1; }

# Whatever fails unexpectedly still ends with one line saying where.
on_error() {
    local status=$? line=$1
    printf '%s: error: "%s" failed (exit %s, line %s)\n' "$NAME" "$BASH_COMMAND" "$status" "$line" >&2
    exit "$status"
}
trap 'on_error $LINENO' ERR
