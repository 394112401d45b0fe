#!/usr/bin/env bash
# Renders config/ckan.ini from the container's environment (TWIN_*), then runs the command.
set -euo pipefail
python3 "$(dirname "$0")/../scripts/render_config.py" --only ckan
exec "$@"
