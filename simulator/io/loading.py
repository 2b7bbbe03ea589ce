"""From YAML files and plain data to a validated :class:`Scenario`.

* :func:`load_scenario` reads a file safely (:mod:`simulator.io.yaml_source`), resolves
  ``extends:`` inheritance (:mod:`simulator.io.inheritance`), and validates the result once.
* :func:`scenario_from_dict` validates plain data; pydantic's errors become a
  :class:`ScenarioError` naming the file, line, key path and problem, with the nearest valid key
  for typos (:mod:`simulator.io.validation_issues`).
* :func:`warn_unusual` warns about inputs far outside their usual range, with file and line.

Overrides by key path are in :mod:`simulator.io.overrides`.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Collection
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulator.errors import Issue, ScenarioError
from simulator.io.inheritance import read_with_parents
from simulator.io.validation_issues import describe_value, issues_from_validation
from simulator.spec.range_checks import UnusualValueWarning, unusual_values
from simulator.spec.scenario import Scenario

#: Longest scenario name: it names the output folder (plus suffixes such as '-sweep-<key>').
MAX_NAME = 100


def _name_issues(data: dict, lines: dict[str, int | tuple[str, int]], source: str) -> list[Issue]:
    """The scenario's name becomes the output folder ``runs/<name>``, which a run replaces as a
    whole: a name such as ``/home/me`` or ``..`` must never reach the file system."""
    name = data.get("name")
    if not isinstance(name, str) or not name:
        return []  # the schema reports a missing or non-text name
    if name in (".", "..") or any(c in name for c in "/\\") \
            or any(ord(c) < 32 or ord(c) == 127 for c in name):
        problem = (f"{name[:40]!r} cannot be used as a name: it names the output folder "
                   "runs/<name>, so it may not be '.' or '..', nor contain '/', '\\' or "
                   "control characters")
    elif len(name) > MAX_NAME:
        problem = (f"is {len(name):,} characters long; a name has at most {MAX_NAME} (it names "
                   "the output folder)")
    else:
        return []
    at = lines.get("name")
    file, line = at if isinstance(at, tuple) else (source, at)
    return [Issue("name", problem, line, "use a short identifier such as 'base' or "
                  "'inhouse-2027'; put longer text in 'title'", None if file == source else file)]


def scenario_from_dict(data: Any, *, source: str = "<scenario>",
                       lines: dict[str, int | tuple[str, int]] | None = None,
                       check: Collection[str] | None = None) -> Scenario:
    """Validate plain data (as read from YAML) into a :class:`Scenario`.

    ``lines`` maps key paths to a line of ``source``, or to (file, line) for keys that come
    from another file (a parent scenario). Inputs far outside their usual range (all of them,
    or those under the key paths in ``check``) raise an :class:`UnusualValueWarning`.

    Raises
    ------
    ScenarioError
        Naming ``source``, the line where known, the key path and the problem.
    """
    if data is None:  # a document of only '---' or '~'
        raise ScenarioError(source, [Issue("", "the file holds no keys (an empty document)", 1,
                                           "start from scenarios/base.yaml")])
    if not isinstance(data, dict):
        raise ScenarioError(source, [Issue("", f"the top level must be a mapping of keys, got "
                                           f"{describe_value(data)}", 1,
                                           "start from scenarios/base.yaml")])
    name_issues = _name_issues(data, lines or {}, source)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(source, name_issues + issues_from_validation(exc, lines or {}, source)) \
            from None
    if name_issues:
        raise ScenarioError(source, name_issues)
    warn_unusual(scenario, source=source, lines=lines or {}, paths=check)
    return scenario


def warn_unusual(scenario: Scenario, *, source: str, lines: dict[str, int | tuple[str, int]],
                 paths: Collection[str] | None = None) -> None:
    """Warn (:class:`UnusualValueWarning`) about each input far outside its usual range, with
    the file and line where it is written.

    Parameters
    ----------
    scenario : Scenario
    source : str
        The file (or ``"<override>"``) the lines refer to.
    lines : dict
        Key path -> line of ``source``, or (file, line) for keys from a parent file.
    paths : collection of str, optional
        Check only these key paths (an override's); default: every input.
    """
    texts: dict[str, list[str]] = {}

    def at(path: str) -> tuple[str, int | None]:
        probe = path
        while probe and probe not in lines:
            probe = probe.rsplit(".", 1)[0] if "." in probe else ""
        where = lines.get(probe)
        return where if isinstance(where, tuple) else (source, where)

    def written(path: str) -> str | None:
        file, line = at(path)
        if line is None:
            return None
        if file not in texts:
            try:
                texts[file] = Path(file).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError, ValueError):
                texts[file] = []
        rows = texts[file]
        # a distribution written as a block: its parameters follow on the next lines
        return " ".join(rows[line - 1: line + 8]) if line <= len(rows) else None

    for path, problem, hint in unusual_values(scenario, paths=paths, written=written):
        file, line = at(path)
        issue = Issue(path, problem, line, hint, None if file == source else file)
        warnings.warn(UnusualValueWarning(issue.format(source)), stacklevel=3)


def load_scenario(path: str | Path) -> Scenario:
    """Read, parse and validate a scenario file, resolving ``extends:`` inheritance.

    Parameters
    ----------
    path : str or Path
        A YAML scenario file.

    Returns
    -------
    Scenario
        Frozen and fully validated.

    Raises
    ------
    ScenarioError
        For any problem with the file or its parents, naming the file, line, key path and
        problem.
    """
    data, where = read_with_parents(Path(path), chain=())
    scenario = scenario_from_dict(data, source=str(path), lines=where)
    scenario._source_file = str(path)
    scenario._source_sha256 = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return scenario
