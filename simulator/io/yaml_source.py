"""Read a scenario file into plain Python data plus a map from key path to line number.

PyYAML's safe loader already refuses tags that would construct Python objects. On top of it this
module rejects what the safe loader lets through but a scenario must never contain: duplicate keys
(YAML silently keeps the last one), non-string keys, alias expansion large enough to exhaust
memory (a "billion laughs" file, also through ``<<`` merge keys), nesting deep enough to exhaust
Python's recursion limit, and files too large to parse in a moment.

Every such problem becomes a :class:`ScenarioError` naming the file and, where known, the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from simulator.errors import Issue, ScenarioError, join_path

#: Upper bound on the number of YAML nodes in one file, and on the number built from it counting
#: every alias expansion. A real scenario has about a thousand (scenarios/base.yaml: ~960); a
#: billion-laughs file reaches the limit in milliseconds.
MAX_NODES = 20_000
#: Deepest nesting of mappings and lists allowed. A real scenario nests about 6 levels; the
#: limit keeps the recursive composer and builder far from Python's recursion limit.
MAX_DEPTH = 40
#: Files larger than this are refused before parsing [bytes]. A real scenario is ~20 kB; the pure
#: Python parser needs about a second per megabyte.
MAX_BYTES = 1_000_000

_MERGE_TAG = "tag:yaml.org,2002:merge"


#: The only tags a scenario may carry: plain mappings, lists, text, numbers, booleans and null.
ALLOWED_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("map", "seq", "str", "int", "float", "bool",
                                                     "null")}


class _LimitError(Exception):
    """A composition limit was exceeded at ``mark``."""

    def __init__(self, problem: str, mark: yaml.Mark | None, hint: str) -> None:
        super().__init__(problem)
        self.problem, self.mark, self.hint = problem, mark, hint


class _Loader(yaml.SafeLoader):
    """The safe loader with limits on nesting depth and node count while composing, so that a
    deeply nested or huge document is refused before it reaches Python's recursion limit or
    takes long to compose. Aliases are not expanded here (see :class:`_Builder`)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent, index):  # PyYAML calls it for every node
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _LimitError(f"the file has more than {MAX_NODES:,} YAML values; refusing to "
                              "load it", self.peek_event().start_mark,
                              "a scenario has about a thousand; is this the right file?")
        if self._depth >= MAX_DEPTH:
            raise _LimitError(f"values are nested more than {MAX_DEPTH} levels deep; refusing "
                              "to load it", self.peek_event().start_mark,
                              "a scenario nests a few levels (e.g. suppliers.nvidia.kw_per_unit)")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: dict[str, int] = {}
        self.count = 0
        self._scalar = yaml.constructor.SafeConstructor()

    def fail(self, path: str, problem: str, node: yaml.Node | None, hint: str | None = None):
        line = node.start_mark.line + 1 if node is not None else None
        raise ScenarioError(self.source, [Issue(path, problem, line, hint)])

    def build(self, node: yaml.Node, path: str, depth: int = 0) -> Any:
        # every visit counts, so aliases expanded many times (a "billion laughs") hit the limit
        self.count += 1
        if self.count > MAX_NODES:
            self.fail(path, f"the file expands to more than {MAX_NODES:,} YAML nodes "
                      "(runaway aliases?); refusing to load it", node,
                      "use each anchor (&name) a few times at most")
        if depth > MAX_DEPTH:  # an alias inside its own anchor (&a [*a]) nests without end
            self.fail(path, f"values are nested more than {MAX_DEPTH} levels deep (an alias "
                      "inside its own anchor?); refusing to load it", node,
                      "an anchor (&name) may not contain its own alias (*name)")
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self.build_mapping(node, path, depth)
        self.check_tag(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, join_path(path, i), depth + 1)
                    for i, item in enumerate(node.value)]
        return self.build_scalar(node, path)

    def check_tag(self, node: yaml.Node, path: str) -> None:
        """Refuse tags beyond plain mappings, lists, text, numbers, booleans and null."""
        if node.tag not in ALLOWED_TAGS:
            tag = node.tag.removeprefix("tag:yaml.org,2002:")
            self.fail(path, f"YAML tag {tag!r} is not allowed in a scenario", node,
                      "use plain numbers, text, lists and mappings; quote dates and other text")

    def build_mapping(self, node: yaml.MappingNode, path: str, depth: int) -> dict[str, Any]:
        self.check_tag(node, path)
        out: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        key_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                # "<<: *defaults" or "<<: [*a, *b]": built (and counted) like any other value,
                # earlier mappings win over later ones, and keys given here win over all
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) \
                    else [value_node]
                for src in sources:
                    if not isinstance(src, yaml.MappingNode):
                        self.fail(path, "a merge key '<<' takes a mapping or a list of mappings",
                                  src, "write '<<: *name' where '&name' marks a mapping")
                    for k, v in self.build(src, path, depth + 1).items():
                        merged.setdefault(k, v)
                continue
            key = self.build_scalar(key_node, path)
            if not isinstance(key, str):
                if isinstance(key, int | float) and not isinstance(key, bool):
                    key = str(key)  # year keys such as 2028: are natural in share tables
                else:
                    self.fail(path, f"keys must be text, got {key!r}", key_node,
                              "quote the key, e.g. 'yes': or 'null':")
            if key in out:
                self.fail(join_path(path, key),
                          f"duplicate key (first given on line {key_lines[key]})", key_node,
                          "each key may appear once in a mapping")
            key_lines[key] = key_node.start_mark.line + 1
            child = join_path(path, key)
            self.lines[child] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, child, depth + 1)
        if not merged:
            return out
        return {**{k: v for k, v in merged.items() if k not in out}, **out}

    def build_scalar(self, node: yaml.Node, path: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            self.fail(path, "a mapping or list cannot be used as a key", node,
                      "keys are plain text such as 'price_per_unit:'")
        self.check_tag(node, path)
        try:
            value = self._scalar.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            self.fail(path, f"cannot read value: {exc.problem}", node)
        except (ValueError, OverflowError):  # e.g. an integer with thousands of digits
            self.fail(path, f"cannot read {_clip(node.value)!r} as a number: it is too large",
                      node, "write large amounts with a suffix, e.g. '7T' or 1.5e9")
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                float(value)
            except OverflowError:
                self.fail(path, f"the number {_clip(node.value)} is too large", node,
                          "write large amounts with a suffix, e.g. '7T' or 1.5e9")
        return value


def _clip(text: str, n: int = 24) -> str:
    return text if len(text) <= n else f"{text[:n]}... ({len(text):,} characters)"


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
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
    except _LimitError as exc:
        line = exc.mark.line + 1 if exc.mark is not None else None
        raise ScenarioError(source, [Issue("", exc.problem, line, exc.hint)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = f"not valid YAML: {exc.problem or exc.context}"
        raise ScenarioError(source, [Issue("", problem, line, _syntax_hint(text, exc))]) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise ScenarioError(source, [Issue("", f"the file contains a control character "
                                           f"(#x{code:04x}) that YAML does not allow", line,
                                           "is this a binary file? a scenario is plain text")]
                            ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(source, [Issue("", f"not valid YAML: {exc}",
                                           hint="compare with scenarios/base.yaml")]) from None
    except RecursionError:  # not expected within MAX_DEPTH; never let it surface as a traceback
        raise ScenarioError(source, [Issue("", "values are nested too deeply; refusing to load "
                                           "it")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        raise ScenarioError(source, [Issue("", "the file is empty",
                                           hint="start from scenarios/base.yaml")])
    builder = _Builder(source)
    try:
        data = builder.build(node, "")
    except RecursionError:
        raise ScenarioError(source, [Issue("", "values are nested too deeply; refusing to load "
                                           "it")]) from None
    return data, builder.lines


def _syntax_hint(text: str, exc: yaml.MarkedYAMLError) -> str:
    """How to fix a YAML syntax error, guessed from the parser's message."""
    message = str(exc)
    mark = exc.problem_mark or exc.context_mark
    lines = text.splitlines()
    line = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    if "\t" in text and ("tab" in message or "'\\t'" in message or "\t" in line):
        return "indent with spaces, not tabs"
    if "single document" in message:
        return "a scenario is one YAML document: remove the second '---'"
    if "found character" in message and ("'@'" in message or "'`'" in message):
        return "quote text that starts with '@' or '`'"
    if "mapping values are not allowed" in message:
        return "quote text that contains ': ', or put a space after the key's colon"
    return "check the indentation, brackets and quotes on this line and the one before"


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
        if p.is_symlink():  # exists() follows the link: it points nowhere, or back to itself
            raise ScenarioError(source, [Issue("", "a symbolic link to a file that does not "
                                               "exist, or a loop of links",
                                               hint="point the link at a scenario file")])
        raise ScenarioError(source, [Issue("", "no such file", hint="check the path; it is "
                                           "relative to the current folder")])
    if p.is_dir():
        raise ScenarioError(source, [Issue("", "is a directory, not a scenario file",
                                           hint="give one of the .yaml files in it")])
    try:
        if not p.is_file():
            raise ScenarioError(source, [Issue("", "is not a regular file (a device or pipe?)",
                                               hint="give a .yaml scenario file")])
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise ScenarioError(source, [Issue("", f"file is {size:,} bytes; a scenario is at "
                                                   f"most {MAX_BYTES:,}",
                                               hint="a scenario is a few hundred lines; is this "
                                               "the right file?")])
        raw = p.read_bytes()
    except OSError as exc:
        raise ScenarioError(source, [Issue("", f"cannot read file: {exc.strerror or exc}",
                                           hint="check that the file is readable")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(source, [Issue("", f"not UTF-8 text (bad byte at offset {exc.start})",
                                           line, "save the file as UTF-8")]) from None
    return parse_yaml(text, source)
