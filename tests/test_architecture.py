"""The package's shape: no import cycles, lower folders never import higher ones, no private
names imported across modules. Imports are read with ``ast`` at any depth (inside functions
too), except under ``if TYPE_CHECKING:``."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "simulator"

#: The data flow, lowest first: a module may import from its own folder and those before it.
#: ``errors`` and ``interrupts`` (standard library only, used by the run, the writers and the
#: command) are below everything; ``cli``, the console entry ``__main__`` and the package's
#: ``__init__`` sit on top.
LAYERS = ("errors", "interrupts", "stats", "spec", "io", "sample", "model", "results", "run",
          "analysis", "report", "cli", "__main__", "__init__")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if "TYPE_CHECKING" in ast.unparse(node.test):
                for child in node.orelse:
                    self.visit(child)
                return
            self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            found.append(node)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            found.append(node)

    Visitor().visit(tree)
    return found


@functools.cache
def _graph() -> tuple[dict[str, set[str]], list[str]]:
    """Edges module -> modules of the package it imports, and private names imported."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = {name: set() for name in modules}
    private = []
    for name, path in modules.items():
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [(a.name, None) for a in node.names]
            else:
                assert node.level == 0, f"{name}: relative import"
                targets = [(f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules
                            else node.module, a.name) for a in node.names]
            for target, imported in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if not target or target == name or not target.startswith("simulator"):
                    continue
                edges[name].add(target)
                if imported and imported.startswith("_") and not imported.startswith("__"):
                    private.append(f"{name} imports {imported} from {target}")
    return edges, private


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.index(parts[1] if len(parts) > 1 else "__init__")


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in edges:
        if v not in index:
            visit(v)
    return out


def test_the_reader_finds_cycles_and_layers():
    """The checks below can fail: a planted cycle is found, and layers are ordered."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]
    assert _layer("simulator.stats.prim") < _layer("simulator.report.plots")
    assert _layer("simulator.errors") < _layer("simulator.spec.scenario") < _layer("simulator")


def test_no_import_cycles():
    edges, _ = _graph()
    assert _cycles(edges) == []


def test_no_private_names_cross_modules():
    _, private = _graph()
    assert private == []


@pytest.mark.parametrize("module", sorted(_graph()[0]))
def test_lower_folders_never_import_higher_ones(module):
    edges, _ = _graph()
    higher = [t for t in edges[module] if _layer(t) > _layer(module)]
    assert higher == [], f"{module} imports from higher folders: {higher}"


#: A module a reader can hold in mind, and a function that fits on a screen.
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 450, 80


def _sizes() -> tuple[dict[str, int], dict[str, int]]:
    """Lines of every module, and of every function and method (qualified by module)."""
    modules, functions = {}, {}
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text()
        name = _module_name(path)
        modules[name] = len(source.splitlines())
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                functions[f"{name}:{node.name}:{node.lineno}"] = node.end_lineno - node.lineno + 1
    return modules, functions


def test_modules_and_functions_stay_small():
    modules, functions = _sizes()
    assert modules and functions  # the reader found the package
    assert {m: n for m, n in modules.items() if n > MAX_MODULE_LINES} == {}
    assert {f: n for f, n in functions.items() if n > MAX_FUNCTION_LINES} == {}
