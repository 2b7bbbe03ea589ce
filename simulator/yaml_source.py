"""Read a scenario file into plain Python data plus a map from key path to line number.

PyYAML's safe loader already refuses tags that would construct Python objects. On top of it this
module rejects what the safe loader lets through but a scenario must never contain: duplicate keys
(YAML silently keeps the last one), non-string keys, and alias expansion large enough to exhaust
memory (a "billion laughs" file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from simulator.errors import Issue, ScenarioError

#: Upper bound on the number of YAML nodes built from one file, counting every alias expansion.
#: A real scenario has a few hundred; a billion-laughs file reaches this in microseconds.
MAX_NODES = 200_000
#: Files larger than this are refused before parsing [bytes].
MAX_BYTES = 5_000_000


def join_path(parent: str, key: object) -> str:
    """Join a key path: ``join_path("demand", "growth") == "demand.growth"``; list items use ``[i]``."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


#: The only tags a scenario may carry: plain mappings, lists, text, numbers, booleans and null.
ALLOWED_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("map", "seq", "str", "int", "float", "bool",
                                                     "null")}


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: dict[str, int] = {}
        self.count = 0
        self._scalar = yaml.constructor.SafeConstructor()

    def fail(self, path: str, problem: str, node: yaml.Node | None, hint: str | None = None):
        line = node.start_mark.line + 1 if node is not None else None
        raise ScenarioError(self.source, [Issue(path, problem, line, hint)])

    def build(self, node: yaml.Node, path: str) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            self.fail(path, f"the file expands to more than {MAX_NODES:,} YAML nodes "
                      "(runaway aliases?); refusing to load it", node)
        self.lines.setdefault(path, node.start_mark.line + 1)
        if node.tag not in ALLOWED_TAGS:
            tag = node.tag.removeprefix("tag:yaml.org,2002:")
            self.fail(path, f"YAML tag {tag!r} is not allowed in a scenario", node,
                      "use plain numbers, text, lists and mappings; quote dates and other text")
        if isinstance(node, yaml.MappingNode):
            self._scalar.flatten_mapping(node)  # resolves "<<" merge keys
            out: dict[str, Any] = {}
            key_lines: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = self.build_scalar(key_node, path)
                if not isinstance(key, str):
                    if isinstance(key, int | float) and not isinstance(key, bool):
                        key = str(key)  # year keys such as 2028: are natural in share tables
                    else:
                        self.fail(path, f"keys must be text, got {key!r}", key_node)
                if key in out:
                    self.fail(join_path(path, key),
                              f"duplicate key (first given on line {key_lines[key]})", key_node,
                              "each key may appear once in a mapping")
                key_lines[key] = key_node.start_mark.line + 1
                child = join_path(path, key)
                self.lines[child] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, join_path(path, i)) for i, item in enumerate(node.value)]
        return self.build_scalar(node, path)

    def build_scalar(self, node: yaml.Node, path: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            self.fail(path, "a mapping or list cannot be used as a key", node)
        if node.tag not in ALLOWED_TAGS:
            self.fail(path, f"YAML tag {node.tag!r} is not allowed in a scenario", node)
        try:
            return self._scalar.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            self.fail(path, f"cannot read value: {exc.problem}", node)


def parse_yaml(text: str, source: str) -> tuple[Any, dict[str, int]]:
    """Parse YAML text safely.

    Parameters
    ----------
    text : str
        The YAML document.
    source : str
        Name used in error messages (normally the file path).

    Returns
    -------
    data : Any
        Plain dicts, lists and scalars.
    lines : dict of str to int
        1-based line of every key path in ``data``.

    Raises
    ------
    ScenarioError
        For syntax errors, tags, duplicate keys, non-text keys and alias bombs.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = f"not valid YAML: {exc.problem or exc.context}"
        hint = "indent with spaces, not tabs" if "\t" in text and "tab" in str(exc) else None
        raise ScenarioError(source, [Issue("", problem, line, hint)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(source, [Issue("", f"not valid YAML: {exc}")]) from None
    if node is None:
        raise ScenarioError(source, [Issue("", "the file is empty",
                                           hint="start from scenarios/base.yaml")])
    builder = _Builder(source)
    data = builder.build(node, "")
    return data, builder.lines


def read_yaml_file(path: str | Path) -> tuple[Any, dict[str, int]]:
    """Read and parse a YAML file, turning every I/O or decoding failure into a ScenarioError.

    Parameters
    ----------
    path : str or Path
        The scenario file.

    Returns
    -------
    data, lines : see :func:`parse_yaml`.
    """
    p = Path(path)
    source = str(path)
    if not p.exists():
        raise ScenarioError(source, [Issue("", "no such file")])
    if p.is_dir():
        raise ScenarioError(source, [Issue("", "is a directory, not a scenario file")])
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise ScenarioError(source, [Issue("", f"file is {size:,} bytes; a scenario is at "
                                                   f"most {MAX_BYTES:,}")])
        raw = p.read_bytes()
    except OSError as exc:
        raise ScenarioError(source, [Issue("", f"cannot read file: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(source, [Issue("", f"not UTF-8 text (bad byte at offset {exc.start})",
                                           line, "save the file as UTF-8")]) from None
    return parse_yaml(text, source)
