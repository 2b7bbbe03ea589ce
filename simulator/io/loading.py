"""From YAML files and key-path overrides to a validated :class:`Scenario`.

* :func:`load_scenario` reads a file safely (:mod:`simulator.io.yaml_source`), resolves
  ``extends:`` inheritance, and validates the result once.
* :func:`scenario_from_dict` validates plain data; pydantic's errors become a
  :class:`ScenarioError` naming the file, line, key path and problem, with the nearest valid key
  for typos.
* :func:`apply_overrides` sets values by key path (``demand.growth.initial.high``) and validates
  exactly like a file.

Inheritance: a file with ``extends: parent.yaml`` (a path relative to the file) starts from the
parent's data and merges its own on top: mappings merge key by key, a mapping with ``dist`` or
``value`` replaces a distribution whole, lists and numbers replace, and ``null`` deletes a key
(e.g. ``strategies: {hybrid: null}``). Chains of parents are allowed; cycles are errors.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import types
import typing
import warnings
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError

from simulator.errors import Issue, ScenarioError, join_path
from simulator.io.yaml_source import read_yaml_file
from simulator.spec.distributions import FAMILIES
from simulator.spec.range_checks import UnusualValueWarning, unusual_values
from simulator.spec.scenario import Scenario
from simulator.spec.suppliers import SUPPLIER_KINDS


def _loc_to_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for i, part in enumerate(loc):
        # pydantic names union members in loc; scenario authors never see them
        if isinstance(part, str) and (part in FAMILIES or part.startswith("function-")):
            continue
        if i == 2 and loc[0] == "suppliers" and part in SUPPLIER_KINDS:
            continue
        if part == "all":
            continue
        path = join_path(path, part)
    return path


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that owns the keys at ``loc`` (for 'did you mean' hints)."""
    current: Any = Scenario
    for i, part in enumerate(loc):
        if i == 2 and loc[0] == "suppliers" and part in SUPPLIER_KINDS:
            current = SUPPLIER_KINDS[part]
            continue
        while True:
            origin = typing.get_origin(current)
            if origin is Annotated:
                current = typing.get_args(current)[0]
            elif origin in (typing.Union, __import__("types").UnionType):
                args = [a for a in typing.get_args(current) if a is not type(None)]
                current = args[0] if len(args) == 1 else current
                if len(args) != 1:
                    break
            else:
                break
        if isinstance(part, str) and part in FAMILIES:
            from simulator.spec import distributions as dmod
            current = next(c for c in (dmod.Fixed, dmod.Normal, dmod.Lognormal, dmod.Uniform,
                                       dmod.Triangular, dmod.Pert, dmod.Beta, dmod.Discrete)
                           if c.model_fields["dist"].default == part
                           or typing.get_args(c.model_fields["dist"].annotation) == (part,))
            continue
        if typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            if field is None:
                return current
            current = field.annotation
            continue
        return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _field_description(loc: tuple[Any, ...]) -> str | None:
    """``"'key': <its schema description>"`` for the nearest documented key at or above ``loc``
    (the description gives the unit and meaning), or None."""
    for k in range(len(loc), 0, -1):
        name = loc[k - 1]
        if not isinstance(name, str):
            continue
        try:
            model = _model_at(loc[: k - 1])
        except (StopIteration, TypeError, KeyError):
            return None
        field = model.model_fields.get(name) if model is not None else None
        if field is not None and field.description:
            return f"{name!r} is {' '.join(field.description.split())}"
    return None


def _takes_distribution(loc: tuple[Any, ...]) -> bool:
    """Whether the key at ``loc`` takes a number or a distribution (an uncertain input)."""
    if not loc or not isinstance(loc[-1], str):
        return False
    try:
        model = _model_at(loc[:-1])
    except (StopIteration, TypeError, KeyError):
        return False
    field = model.model_fields.get(loc[-1]) if model is not None else None
    return field is not None and "_as_distribution" in repr((field.annotation, field.metadata))


def _issues_from(exc: ValidationError, lines: dict[str, int | tuple[str, int]],
                 source: str) -> list[Issue]:
    issues = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = _loc_to_path(loc)
        msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        hint = None
        if err["type"] == "extra_forbidden":
            parent = _model_at(loc[:-1])
            key = str(loc[-1])
            msg = f"unknown key {key!r}"
            if parent is not None:
                names = list(parent.model_fields)
                near = difflib.get_close_matches(key, names, n=1, cutoff=0.5)
                hint = (f"did you mean {near[0]!r}?" if near
                        else f"valid keys here: {', '.join(names)}")
        elif err["type"] == "missing":
            msg = "required key is missing"
            described = _field_description(loc)
            hint = (f"add it: {described}" if described else
                    "add it; scenarios/base.yaml and 'simulate schema' show every key")
        elif err["type"] == "union_tag_invalid":
            msg = f"unknown distribution; choose one of {', '.join(FAMILIES)}"
        elif err["type"] in _EXPECTED and _takes_distribution(loc):
            msg = f"expected a number or a distribution, got {_describe(err.get('input'))}"
            hint = "write e.g. 18k, or {dist: lognormal, low: 12k, high: 22k}"
        elif err["type"] in _EXPECTED:
            what, hint = _EXPECTED[err["type"]]
            msg = f"expected {what}, got {_describe(err.get('input'))}"
        elif err["type"] in ("int_parsing", "int_from_float", "int_type"):
            hint = "write a whole number, e.g. 20000"
        if not loc:  # a check of the whole scenario names the key path in its message
            path, msg = _path_in_message(msg)
        if hint is None and err["type"] != "missing":
            hint = _field_description(loc)  # what the key means and its unit
        probe = path
        while probe and probe not in lines:
            probe = probe.rsplit(".", 1)[0] if "." in probe else ""
        at = lines.get(probe)
        file, line = at if isinstance(at, tuple) else (source, at)
        issues.append(Issue(path, msg, line, hint, None if file == source else file))
    return issues


_MESSAGE_PATH = re.compile(r"^(?P<path>[A-Za-z_]\w*(?:\.[\w-]+|\[\d+\])*)(?P<sep>: | )(?P<rest>.+)$",
                           re.DOTALL)


def _path_in_message(message: str) -> tuple[str, str]:
    """(key path, problem) from a whole-scenario check's message such as
    ``"strategies.hybrid.shares.2030.inhuose: unknown supplier ..."`` or ``"baseline 'x' is
    not a strategy"``, so that the error points at the line of that key; ("", message) when the
    message does not start with a key of the scenario."""
    m = _MESSAGE_PATH.match(message)
    if m is None or re.split(r"[.\[]", m.group("path"))[0] not in Scenario.model_fields:
        return "", message
    if m.group("sep") == ": ":
        return m.group("path"), m.group("rest")
    return m.group("path").split(".")[0], message


#: Pydantic error types of a value of the wrong kind: what was expected, and a hint.
_EXPECTED = {
    "dict_type": ("a mapping of keys", "write indented 'key: value' lines, or {key: value}"),
    "model_type": ("a mapping of keys", "write indented 'key: value' lines, or {key: value}"),
    "model_attributes_type": ("a mapping of keys",
                              "write indented 'key: value' lines, or {key: value}"),
    "list_type": ("a list", "write [a, b] or one '- item' per line"),
    "tuple_type": ("a list", "write [a, b] or one '- item' per line"),
    "string_type": ("text", "quote it, e.g. 'text'"),
    "bool_type": ("true or false", "write true or false"),
    "bool_parsing": ("true or false", "write true or false"),
}


def _describe(value: Any) -> str:
    """A value's kind in a scenario author's words: 'a list', 'text 'abc'', 'nothing (null)'."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a true/false value)"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"text {value[:40]!r}" + ("..." if len(value) > 40 else "")
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


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
                                           f"{_describe(data)}", 1,
                                           "start from scenarios/base.yaml")])
    name_issues = _name_issues(data, lines or {}, source)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(source, name_issues + _issues_from(exc, lines or {}, source)) \
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
    data, where = _read_with_parents(Path(path), chain=())
    scenario = scenario_from_dict(data, source=str(path), lines=where)
    scenario._source_file = str(path)
    scenario._source_sha256 = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return scenario


#: Key naming the parent scenario file.
EXTENDS = "extends"


#: Longest chain of ``extends:`` parents. A real variant extends one or two files; the limit
#: keeps a runaway chain far from Python's recursion limit.
MAX_EXTENDS = 16


def _read_with_parents(path: Path, *, chain: tuple[Path, ...]
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
    base, base_where = _read_with_parents(parent, chain=(*chain, here))
    if not isinstance(base, dict):
        raise refuse(f"parent scenario {parent_ref!r} holds {_describe(base)}, not a mapping of "
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
    data, where = _read_with_parents(path, chain=())
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


