"""Scenario inheritance: ``extends:`` resolution, merging, and what a variant inherits.

A file with ``extends: parent.yaml`` (a path relative to the file) starts from the parent's
data and merges its own on top (:func:`merge`): mappings merge key by key, a mapping with
``dist`` or ``value`` replaces a distribution whole, lists and numbers replace, and ``null``
deletes a key (e.g. ``strategies: {hybrid: null}``). Chains of parents are allowed; cycles,
missing parents and runaway chains are errors (:func:`read_with_parents`).
:func:`subject_inherited` and :func:`subject_notice` name what a variant inherits that is
specific to its parent's subject (scope, size, revenue, funding, claims).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.errors import Issue, ScenarioError
from simulator.io.validation_issues import describe_value
from simulator.io.yaml_source import read_yaml_file

#: Key naming the parent scenario file.
EXTENDS = "extends"


#: Longest chain of ``extends:`` parents. A real variant extends one or two files; the limit
#: keeps a runaway chain far from Python's recursion limit.
MAX_EXTENDS = 16


def read_with_parents(path: Path, *, chain: tuple[Path, ...]
                      ) -> tuple[dict, dict[str, tuple[str, int]]]:
    """Data of a file merged on top of its parents', and (file, line) of every key path."""
    data, lines = read_yaml_file(path)
    where = {k: (str(path), line) for k, line in lines.items()}
    if not isinstance(data, dict) or EXTENDS not in data:
        return data, where
    parent_ref = data.pop(EXTENDS)
    line = lines.get(EXTENDS)

    def refuse(problem: str, hint: str | None = None) -> ScenarioError:
        return ScenarioError(str(path), [Issue(EXTENDS, problem, line, hint)])

    if not isinstance(parent_ref, str) or not parent_ref.strip():
        raise refuse("must be the path of a parent scenario file")
    if any(ord(c) < 32 or ord(c) == 127 for c in parent_ref):
        raise refuse(f"the parent's path {parent_ref!r} contains a control character (such as "
                     "a NUL byte)", "write the file name as plain text, e.g. base.yaml")
    if len(chain) >= MAX_EXTENDS:
        raise refuse(f"the chain of parents is more than {MAX_EXTENDS} files long "
                     f"({chain[0].name} -> ... -> {path.name} -> {parent_ref})",
                     "a variant usually extends one or two files; extend the base directly")
    try:
        parent = (path.parent / parent_ref).resolve()
        here = path.resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop (RuntimeError < 3.13)
        why = "a symbolic link that points back to itself" if "loop" in str(exc).lower() \
            else str(getattr(exc, "strerror", None) or exc)
        raise refuse(f"cannot resolve the parent's path {parent_ref!r}: {why}",
                     "point extends: at a real scenario file") from None
    if parent in (*chain, here):
        cycle = " -> ".join(str(p) for p in (*chain, here, parent))
        raise refuse(f"inheritance cycle: {cycle}")
    if not parent.exists():
        raise refuse(f"parent scenario {parent_ref!r} not found (looked for {parent})",
                     "paths are relative to the file that extends")
    if parent.is_dir():
        raise refuse(f"parent {parent_ref!r} is a folder, not a scenario file ({parent})",
                     "give the .yaml file to extend, e.g. base.yaml")
    if not parent.is_file():
        raise refuse(f"parent {parent_ref!r} is not a regular file (a pipe or a device?)",
                     "give the .yaml file to extend, e.g. base.yaml")
    base, base_where = read_with_parents(parent, chain=(*chain, here))
    if not isinstance(base, dict):
        raise refuse(f"parent scenario {parent_ref!r} holds {describe_value(base)}, not a mapping of "
                     "keys", "a parent is a scenario file like scenarios/base.yaml")
    base_where.update(where)
    return merge(base, data), base_where


#: Parts of a scenario that describe its subject (the company or industry it models) rather
#: than the market around it: a variant made with ``extends:`` inherits them unless it restates
#: them, which is right for a stress test of the same company and wrong for another company.
SUBJECT_PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("scope", ("scope",)),
    ("starting size", ("demand.start", "demand.before_start")),
    ("demand growth", ("demand.growth",)),
    ("revenue", ("revenue",)),
    ("opening cash", ("funding.cash_at_start",)),
    ("funding rounds", ("funding.raises",)),
    ("claims", ("claims",)),
)


@dataclass(frozen=True)
class InheritedPart:
    """A part of a scenario's subject that a file inherits from a parent.

    Attributes
    ----------
    part : str
        Its name (``"scope"``, ``"starting size"``, ``"revenue"``, ``"opening cash"``,
        ``"demand growth"``, ``"funding rounds"``, ``"claims"``; see :data:`SUBJECT_PARTS`).
    keys : tuple of str
        The key paths inherited (for a part the file sets in part, the keys it leaves out).
    parent : str
        The file they come from, relative to the inheriting file's folder.
    partly : bool
        The file sets some of the part itself.
    detail : str
        What is inherited in a few words ("5 claims", "2 raises: ...", the scope's start).
    """

    part: str
    keys: tuple[str, ...]
    parent: str
    partly: bool
    detail: str

    def describe(self) -> str:
        """``"revenue (start, decay; the file sets the rest)"``-style text."""
        if self.partly:
            return f"{self.part} ({', '.join(self.keys)} from {self.parent})"
        return f"{self.part} ({self.detail})" if self.detail else self.part


def subject_inherited(path: str | Path) -> list[InheritedPart]:
    """What a scenario file inherits through ``extends:`` that is specific to its parent's
    subject: scope, starting size, demand growth, revenue, opening cash, funding rounds and
    claims.

    Parameters
    ----------
    path : str or Path
        A scenario file (valid: call after :func:`load_scenario` succeeded).

    Returns
    -------
    list of InheritedPart
        In the order of :data:`SUBJECT_PARTS`; empty for a file without ``extends:`` or one
        that restates all of them.
    """
    path = Path(path)
    own, _ = read_yaml_file(path)
    if not isinstance(own, dict) or EXTENDS not in own:
        return []
    data, where = read_with_parents(path, chain=())
    mine = str(path)

    def under(key: str) -> list[str]:
        return [p for p in where if p == key or p.startswith((key + ".", key + "["))]

    out = []
    for part, keys in SUBJECT_PARTS:
        inherited, partly, parents = [], [], []
        for key in keys:
            paths = under(key)
            if not paths or _get(data, key) is None:
                continue
            # a list restated by the file replaces the parent's whole list, whose extra items
            # are still in ``where``: only paths present in the merged data count
            theirs = [p for p in paths if where[p][0] != mine and _exists(data, p)]
            if where[key][0] != mine:
                inherited.append(key)
                parents.append(where[key][0])
            elif theirs:  # the file sets the part, but not every key of it
                depth = key.count(".") + 1
                partly += list(dict.fromkeys(".".join(p.split(".")[:depth + 1]).split("[")[0]
                                             for p in theirs if p.count(".") >= depth))
                parents += [where[p][0] for p in theirs]
        if not inherited and not partly:
            continue
        parent = os.path.relpath(parents[0], path.resolve().parent)
        if partly and not inherited:
            names = tuple(p.removeprefix(keys[0] + ".") for p in partly)
            out.append(InheritedPart(part, names, parent, True, ""))
            continue
        out.append(InheritedPart(part, tuple(inherited), parent, False,
                                 _detail(part, data, inherited)))
    return out


def subject_notice(path: str | Path) -> str | None:
    """One line naming what a file inherits that is specific to its parent's subject (see
    :func:`subject_inherited`), or None."""
    parts = subject_inherited(path)
    if not parts:
        return None
    parents = list(dict.fromkeys(p.parent for p in parts))
    names = [p.part + (" (in part)" if p.partly else "") for p in parts]
    said = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return (f"{Path(path).name} inherits {said} from {', '.join(parents)}, which describe "
            "the parent's subject; restate them for another company ('simulate describe' "
            "lists them)")


def _exists(data: Any, path: str) -> bool:
    for part in re.sub(r"\[(\d+)\]", r".\1", path).split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return False
    return True


def _get(data: Any, key: str) -> Any:
    for part in key.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _detail(part: str, data: dict, keys: list[str]) -> str:
    if part == "scope":
        text = " ".join(str(data.get("scope", "")).split())
        return f"{text[:77]}..." if len(text) > 80 else text
    if part == "claims":
        names = [str(c.get("name") or c.get("metric")) if isinstance(c, dict) else str(c)
                 for c in data.get("claims") or []]
        return f"{len(names)} claim{'s' if len(names) != 1 else ''}: " + "; ".join(names)
    if part == "funding rounds":
        raises = _get(data, "funding.raises") or []
        names = [str(r.get("name", "?")) for r in raises if isinstance(r, dict)]
        return f"{len(raises)} raise{'s' if len(raises) != 1 else ''}" + (
            f": {', '.join(names)}" if names else "")
    return "; ".join(f"{key} = {_plain(_get(data, key))}" for key in keys)


def _plain(value: Any) -> str:
    """A value as written, without its source: ``{gw: 1.9}``, ``18k``,
    ``lognormal(low 12k, high 22k)``."""
    if isinstance(value, dict):
        if "value" in value:
            return _plain(value["value"])
        if "dist" in value:
            params = [f"{k} {value[k]}" for k in value if k not in ("dist", "source")]
            return f"{value['dist']}({', '.join(params)})"
        return "{" + ", ".join(f"{k}: {_plain(v)}" for k, v in value.items()
                               if k != "source") + "}"
    return str(value)


def merge(base: dict, child: dict) -> dict:
    """Child data on top of parent data (see the module docstring for the rules)."""
    out = dict(base)
    for key, value in child.items():
        if value is None:
            out.pop(key, None)
        elif (isinstance(value, dict) and isinstance(out.get(key), dict)
              and "dist" not in value and "value" not in value):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out
