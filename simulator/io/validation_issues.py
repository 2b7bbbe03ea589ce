"""Pydantic's validation errors in a scenario author's words.

:func:`issues_from_validation` turns each error of a :class:`pydantic.ValidationError` into an
:class:`~simulator.errors.Issue` naming the key path (as written in YAML, without pydantic's
union members), the file and line where it is written, the problem, and a hint: the nearest
valid key for a typo, the meaning and unit of a missing key, the form a value of the wrong kind
should take. :func:`describe_value` names a value's kind ("a list", "text 'abc'").
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError

from simulator.errors import Issue, join_path
from simulator.spec.distributions import FAMILIES
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
            elif origin in (typing.Union, types.UnionType):
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


def issues_from_validation(exc: ValidationError, lines: dict[str, int | tuple[str, int]],
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
            msg = f"expected a number or a distribution, got {describe_value(err.get('input'))}"
            hint = "write e.g. 18k, or {dist: lognormal, low: 12k, high: 22k}"
        elif err["type"] in _EXPECTED:
            what, hint = _EXPECTED[err["type"]]
            msg = f"expected {what}, got {describe_value(err.get('input'))}"
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


def describe_value(value: Any) -> str:
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

