"""Every notebook in notebooks/ runs top to bottom, and is stored without outputs.

Each notebook is executed with nbclient in a Jupyter kernel of the interpreter running the tests,
from the notebooks/ folder (so ``../scenarios/base.yaml`` resolves), with matplotlib's non-GUI
Agg backend. After the last cell, every figure still open is drawn, so that errors raised only
when a figure is rendered (tick formatters, layout) fail the test too.

Deselect with ``pytest -m "not notebooks"``. Set ``NOTEBOOK_FIGURES=DIR`` to also save every
figure as ``DIR/<notebook>_<n>.png`` for review.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets import default

# the marker is declared in pyproject.toml
pytestmark = pytest.mark.notebooks

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
#: Seconds any one cell may take; whole notebooks run in well under a minute.
CELL_TIMEOUT = 300

# Appended to the in-memory copy of each notebook: checks that the kernel runs in this
# interpreter's environment, draws every open figure and optionally saves it.
_FINAL_CELL = """\
import os as _os
import sys as _sys

import matplotlib.pyplot as _plt

assert _sys.prefix == {prefix!r}, f"the kernel runs in {{_sys.prefix}}, the tests in {prefix!r}"
_out = _os.environ.get("NOTEBOOK_FIGURES")
if _out:
    _os.makedirs(_out, exist_ok=True)
for _k, _num in enumerate(_plt.get_fignums(), start=1):
    _fig = _plt.figure(_num)
    _fig.canvas.draw()
    if _out:
        _fig.savefig(_os.path.join(_out, "{stem}_%02d.png" % _k), dpi=100)
_plt.close("all")
"""


class ThisInterpreterKernelManager(AsyncKernelManager):
    """Starts "python3" as ipykernel's built-in spec, i.e. with ``sys.executable``, ignoring
    any python3 kernel spec installed for the user or system-wide."""

    @default("kernel_spec_manager")
    def _kernel_spec_manager_default(self) -> KernelSpecManager:
        return KernelSpecManager(kernel_dirs=[])


def test_there_are_notebooks():
    assert len(PATHS) >= 3, f"expected the notebooks in {NOTEBOOKS}"


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_notebook_is_stored_without_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [k for k, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, (f"{path.name}: cells {dirty} have outputs or execution counts; clear them "
                       "(e.g. jupyter nbconvert --clear-output --inplace) to keep diffs reviewable")


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch, record_property):
    monkeypatch.setenv("MPLBACKEND", "Agg")  # inherited by the kernel process
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        _FINAL_CELL.format(prefix=sys.prefix, stem=path.stem)))
    client = NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT,
                            kernel_manager_class=ThisInterpreterKernelManager,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{path.name} failed:\n{exc}", pytrace=False)
    seconds = time.perf_counter() - start
    record_property("seconds", round(seconds, 1))
    print(f"{path.name}: {seconds:.1f} s")
    errors = [out for cell in nb.cells for out in cell.get("outputs", [])
              if out.get("output_type") == "error"]
    assert not errors, f"{path.name}: {errors}"
