"""Start-up time of the command line (issue 13): how long each command takes to begin.

Runs `rollback-rate --help`, `--version`, every command's `--help` and a real `report`
on an empty, migrated SQLite database, each N times in a fresh process, and prints the
minimum, median and maximum wall time, and the median CPU time (user + system), which a
machine busy with other work inflates much less. The same runs are made against a previous
release (default: 0784839), whose `src/` is extracted with `git archive` into a temporary
directory and put first on PYTHONPATH, so both use this virtualenv's interpreter and
libraries; runs of the two alternate, so a busy moment on the machine hits both alike.

    .venv/bin/python benchmarks/startup.py              # 10 runs each, against 0784839
    .venv/bin/python benchmarks/startup.py --runs 20 --previous none

Targets: `--help` and `--version` under 0.3 s, every command's own start under 0.5 s.
A previous release without `--version` shows "n/a" (it exits 2 at once).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from releases import PREVIOUS, trees

# The console script's body, without depending on which package an entry point names.
LAUNCH = "import sys; sys.argv[0] = 'rollback-rate'; from rollback_rate.cli import main; main()"
HELP_OF = [
    ["record", "deployment"],
    ["record", "rollback"],
    ["import"],
    ["report"],
    ["check"],
    ["demo"],
    ["serve"],
    ["db", "upgrade"],
    ["db", "rebuild"],
    ["tokens", "create"],
    ["tokens", "list"],
    ["webhooks", "add"],
    ["webhooks", "list"],
    ["sync", "mlflow"],
]


def run(src: Path, args: list[str]) -> tuple[float, float, int]:
    """Wall and CPU seconds one process took to run `rollback-rate ARGS` from `src`, and its
    exit code."""
    env = {**os.environ, "PYTHONPATH": str(src), "COLUMNS": "100"}
    env.pop("ROLLBACK_RATE_DB", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", LAUNCH, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def figures(times: list[tuple[float, float]] | None) -> str:
    if not times:
        return "n/a"
    wall = [w for w, _ in times]
    cpu = statistics.median(c for _, c in times)
    return f"{min(wall):.3f} / {statistics.median(wall):.3f} / {max(wall):.3f}  {cpu:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of each command")
    parser.add_argument(
        "--previous", default=PREVIOUS, help="git revision to compare with, or 'none'"
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rr-startup-") as tmp:
        releases = trees(options.previous, Path(tmp))
        cases: list[tuple[str, list[str] | None]] = [
            ("--help", ["--help"]),
            ("--version", ["--version"]),
            *((" ".join([*path, "--help"]), [*path, "--help"]) for path in HELP_OF),
            ("report (empty database)", None),
        ]
        databases = {}
        for name, src in releases.items():
            url = f"sqlite:///{Path(tmp) / (name.replace(' ', '-') + '.db')}"
            *_, code = run(src, ["--db", url, "db", "upgrade"])
            assert code == 0, f"{name}: db upgrade failed"
            databases[name] = url
        timings: dict[tuple[str, str], list[tuple[float, float]] | None] = {}
        for label, args in cases:
            for _ in range(options.runs):
                for name, src in releases.items():  # alternate: noise hits both alike
                    argv = args if args is not None else ["--db", databases[name], "report"]
                    wall, cpu, code = run(src, argv)
                    if code != 0:
                        timings[(label, name)] = None
                    elif timings.get((label, name), []) is not None:
                        timings.setdefault((label, name), []).append((wall, cpu))
        width = max(len(label) for label, _ in cases)
        python = sys.version.split()[0]
        print(
            f"seconds of {options.runs} runs (python {python}): wall min / median / max, "
            "then median CPU (user + system)"
        )
        print(f"{'command':<{width}}  " + "  ".join(f"{name:<30}" for name in releases))
        for label, _ in cases:
            cells = "  ".join(f"{figures(timings.get((label, name))):<30}" for name in releases)
            print(f"{label:<{width}}  {cells}")


if __name__ == "__main__":
    main()
