"""A previous release's source tree, to measure it beside this one on the same machine.

`git archive` extracts its `src/` into a temporary folder; a benchmark puts that folder
first on PYTHONPATH of the processes it starts, so both use this virtualenv's interpreter
and libraries and differ only in our code.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREVIOUS = "0784839"  # the release before issues 8 to 14


def extract(rev: str, into: Path) -> Path:
    """The `src/` folder of revision `rev`, extracted under `into`."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "src"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def trees(previous: str, tmp: Path) -> dict[str, Path]:
    """This tree's `src/`, and the previous release's unless `previous` is 'none'."""
    found = {"this tree": ROOT / "src"}
    if previous != "none":
        folder = tmp / "previous"
        folder.mkdir()
        found[previous] = extract(previous, folder)
    return found
