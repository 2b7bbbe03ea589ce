"""Save as scenario: the explorer's edits as a file that ``extends:`` the original, holding only
the changes, and never replacing a file the program did not write."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from simulator.errors import ScenarioError
from simulator.io.inheritance import EXTENDS
from simulator.io.loading import load_scenario
from simulator.io.overrides import override
from simulator.report.explorer import SAVED_MARK, Explorer


def free_path(path: str | Path) -> Path:
    """``path`` if no file is there, else ``<stem>-2<suffix>``, ``-3``, ...: a file the program
    did not write is never replaced."""
    path = Path(path)
    k = 1
    candidate = path
    while candidate.exists():
        k += 1
        candidate = path.with_name(f"{path.stem}-{k}{path.suffix}")
    return candidate


def save_scenario(explorer: Explorer, path: str | Path, *, name: str | None = None) -> Path:
    """Write the explorer's edits as a scenario that ``extends:`` the original file.

    The file holds only the changes, each changed input's ``source:`` marked as an explorer
    edit, and ``trials``/``seed`` where they differ, so ``simulate`` on it gives the numbers
    the explorer showed. An existing file is never replaced: the next free name
    (``<stem>-2.yaml``, ...) is used instead.

    Parameters
    ----------
    explorer : Explorer
    path : str or Path
        Wanted file name.
    name : str, optional
        Scenario name (default ``<original name>-explored``).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        If the name does not end in ``.yaml`` or ``.yml``, the original scenario has no file,
        or the file written would not load to the scenario the explorer ran (the file is then
        removed).
    """
    if Path(path).suffix.lower() not in (".yaml", ".yml"):
        raise ValueError(f"{path}: a scenario file's name ends in .yaml")
    data = explorer.saved_data(name=name)
    target = free_path(path)
    parent = os.path.relpath(Path(explorer.original.source_file).resolve(),
                             target.parent.resolve())
    lines = [SAVED_MARK, f"# from {Path(explorer.original.source_file).name}; changes:"]
    lines += [f"#   {p}" for p in explorer.changes] or ["#   (none)"]
    text = "\n".join(lines) + "\n" + yaml.safe_dump({EXTENDS: parent, **data},
                                                    sort_keys=False, allow_unicode=True,
                                                    width=100)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "x", encoding="utf-8") as fh:   # "x": never replace a file
        fh.write(text)
    try:
        loaded = load_scenario(target)
    except ScenarioError as exc:
        target.unlink()
        raise ValueError(f"the saved file would not load ({exc}); nothing was saved") from None
    expected = override(explorer.scenario, {"name": data["name"], "title": data["title"],
                                           "trials": explorer.trials, "seed": explorer.seed})
    if loaded.content_hash() != expected.content_hash():
        target.unlink()
        raise ValueError("the saved file would not reproduce the explorer's scenario; nothing "
                         "was saved")
    return target
