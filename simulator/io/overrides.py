"""Overrides by key path: a copy of a scenario with some values replaced, validated like a file.

:func:`override` and :func:`apply_overrides` set values by key path
(``demand.growth.initial.high``, list items as ``raises[0]`` or ``raises.0``); setting a
correlated input to a number drops its correlations. An unknown key path is reported with the
nearest valid one (:func:`nearest_path`), found among the data's own paths and those the schema
defines.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel

from simulator.errors import Issue, ScenarioError, join_path
from simulator.io.loading import scenario_from_dict
from simulator.spec.scenario import Scenario


def override(scenario: Scenario, changes: dict[str, Any], *, source: str = "<override>"
             ) -> Scenario:
    """A copy of a scenario with values replaced by key path, validated exactly like a file.

    Parameters
    ----------
    scenario : Scenario
    changes : dict of str to Any
        Key path -> new value, e.g. ``{"demand.growth.initial.high": 2.5, "trials": 20000}``;
        values take the same forms as in YAML (numbers, money strings, distribution mappings).
        Setting a correlated input to a number also drops its correlations.
    source : str
        Name used in error messages.

    Returns
    -------
    Scenario
        Remembering the file the original was loaded from.

    Raises
    ------
    ScenarioError
        Naming the key path, with the nearest valid key for unknown ones.
    """
    out = apply_overrides(scenario.model_dump(mode="json", by_alias=True, exclude_none=True),
                          changes, source=source)
    out._source_file, out._source_sha256 = scenario._source_file, scenario._source_sha256
    return out


def apply_overrides(data: dict, changes: dict[str, Any], *, source: str = "<override>"
                    ) -> Scenario:
    """Set values by key path in scenario data and validate the result.

    Parameters
    ----------
    data : dict
        Scenario data (e.g. ``scenario.model_dump(mode="json", by_alias=True)``); not modified.
    changes : dict of str to Any
        Key path -> new value, in YAML forms.
    source : str
        Name used in error messages.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        With the nearest valid key path for unknown ones.
    """
    import copy

    data = copy.deepcopy(data)
    valid = sorted(set(_flat_paths(data)) | set(_schema_paths(Scenario)))
    for path, value in changes.items():
        _set_path(data, path, value)
    _drop_correlations_of_fixed(data, changes)
    try:
        return scenario_from_dict(data, source=source,
                                  check=[re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", p) for p in changes])
    except ScenarioError as exc:
        for k, issue in enumerate(exc.issues):
            if issue.problem.startswith("unknown key"):
                near = nearest_path(issue.path, valid)
                hint = f"nearest valid key path: {near!r}" if near else issue.hint
                exc.issues[k] = Issue(issue.path, f"unknown key path {issue.path!r}", None, hint)
        raise


def nearest_path(path: str, valid: list[str]) -> str | None:
    """The valid key path a mistyped one most likely meant.

    Candidates are the paths under the longest valid prefix of ``path``; they are ranked by how
    closely their last key matches the mistyped last key, so ``demand.growth.hgih`` finds
    ``demand.growth.initial.high``.
    """
    parts = path.split(".")
    valid_set = set(valid)
    for depth in range(len(parts) - 1, -1, -1):
        prefix = ".".join(parts[:depth])
        if depth and prefix not in valid_set:
            continue
        below = [v for v in valid if v.startswith(prefix + ".") or not prefix]
        tail = ".".join(parts[depth:])
        scored = sorted(((difflib.SequenceMatcher(None, tail.split(".")[-1],
                                                  v.rsplit(".", 1)[-1]).ratio(),
                          -v.count("."), v) for v in below), reverse=True)
        if scored and scored[0][0] >= 0.5:
            return scored[0][2]
    return None


def _drop_correlations_of_fixed(data: dict, changes: dict[str, Any]) -> None:
    """An override that sets a correlated input to a number also drops that input's
    correlations (a fixed number cannot move with anything), unless the override sets the
    correlations itself. Sweeps and goal seeks fix inputs this way."""
    if any(path.startswith("sampling.correlations") for path in changes):
        return
    fixed = {re.sub(r"\[(\d+)\]", r".\1", p) for p, v in changes.items()
             if not isinstance(v, dict)}
    specs = data.get("sampling", {}).get("correlations", [])
    kept = [spec for spec in specs
            if not any(re.sub(r"\[(\d+)\]", r".\1", p) in fixed for p in spec["inputs"])]
    if len(kept) != len(specs):
        data["sampling"]["correlations"] = kept


def _flat_paths(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, dict):
        out = []
        for k, v in node.items():
            out += [join_path(prefix, k), *_flat_paths(v, join_path(prefix, k))]
        return out
    return []


def _schema_paths(model: type[BaseModel], prefix: str = "", depth: int = 0) -> list[str]:
    """Key paths the schema defines (fields of nested models), for 'did you mean' hints."""
    out = []
    for name, field in model.model_fields.items():
        path = join_path(prefix, field.alias or name)
        out.append(path)
        sub = _model_in(field.annotation)
        if sub is not None and depth < 6:
            out += _schema_paths(sub, path, depth + 1)
    return out


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        return _model_in(args[0])
    if typing.get_origin(annotation) is Annotated:
        return _model_in(args[0])
    return None


def _set_path(data: dict, path: str, value: Any) -> None:
    """Set ``data[a][b][c] = value`` for ``path = "a.b.c"``; list items by number, written
    ``raises[0]`` (as tables and errors print them) or ``raises.0``."""
    keys = re.sub(r"\[(\d+)\]", r".\1", path).split(".")
    node: Any = data
    for depth, key in enumerate(keys[:-1]):
        if isinstance(node, list):
            node = node[_list_index(node, key, keys[: depth + 1])]
            continue
        child = node.get(key)
        if not isinstance(child, dict | list):
            # a fixed number written as a plain value becomes a mapping when a part of it is set
            child = {} if child is None else {"value": child}
            node[key] = child
        node = child
    if isinstance(node, list):
        node[_list_index(node, keys[-1], keys)] = value
    else:
        node[keys[-1]] = value


def _list_index(node: list, key: str, keys: list[str]) -> int:
    try:
        i = int(key)
        node[i]  # raises IndexError when out of range
        return i
    except (ValueError, IndexError):
        raise ScenarioError("<override>", [Issue(".".join(keys), f"no item {key!r} in a list of "
                                                 f"{len(node)}")]) from None
