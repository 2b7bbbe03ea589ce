"""Ordinary pages for the per-trial arrays: advice only, the arrays and the numbers unchanged."""

from __future__ import annotations

import numpy as np

from simulator.run.pages import ordinary_pages


def test_advice_leaves_the_array_as_it_was():
    for shape, dtype in [((5, 300_000, 11), np.float32), ((3,), np.float64), ((0,), np.int32)]:
        a = np.empty(shape, dtype=dtype)
        assert ordinary_pages(a) is a
        a[...] = 7
        assert (a == 7).all()
    view = np.arange(1_000_000.0)[1::3]  # not page aligned, not contiguous: whole pages only
    assert ordinary_pages(view) is view
    assert view[0] == 1.0 and view[-1] == 999_997.0
