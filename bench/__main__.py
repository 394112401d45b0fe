"""``python -m bench``: every benchmark module in bench/, in name order, with its defaults.

Each runs in its own process (``python -m bench.<module>``), so one benchmark's imports,
configuration and memory do not colour the next one's figures (several report peak RSS).
A new benchmark is picked up by being a module here; modules whose names start with ``_``
hold code the benchmarks share (``_harvest``: one harvester in a fresh process on a fresh
database) and are not run.
"""
from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import bench


def main() -> int:
    failed = []
    for module in sorted(m.name for m in pkgutil.iter_modules(bench.__path__)):
        if module.startswith("_"):
            continue
        print(f"== bench.{module} ==", flush=True)
        result = subprocess.run([sys.executable, "-m", f"bench.{module}"],
                                cwd=Path(bench.__file__).resolve().parent.parent, check=False)
        if result.returncode:
            failed.append(module)
        print(flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
