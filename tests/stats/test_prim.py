"""PRIM: peeling finds a known box, and the reported statistics agree with the reported limits."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.stats.prim import Box, prim_box

NAMES = ["x0", "x1", "x2"]


def corner_case(seed: int, n: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    """Uniform inputs; the cases of interest fill the box x0 > 0.7, x2 < 0.4 (support 0.12)."""
    x = np.random.default_rng(seed).random((n, 3))
    return x, (x[:, 0] > 0.7) & (x[:, 2] < 0.4)


def in_box(x: np.ndarray, box: Box, names: list[str]) -> np.ndarray:
    mask = np.ones(x.shape[0], dtype=bool)
    for name, (low, high) in box.limits.items():
        column = x[:, names.index(name)]
        mask &= (column >= low) & (column <= high)
    return mask


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_finds_the_box_that_generates_the_cases(seed):
    x, y = corner_case(seed)
    box = prim_box(x, y, names=NAMES)
    assert set(box.limits) == {"x0", "x2"}
    # Each peel removes 5% of the box, i.e. at the end about 0.05 * 0.12 * 5000 = 30 points, a
    # slice 0.015 wide in x0 or 0.02 in x2; the edges land within a peel or two of the truth.
    np.testing.assert_allclose(box.limits["x0"], (0.7, 1.0), atol=0.05)
    np.testing.assert_allclose(box.limits["x2"], (0.0, 0.4), atol=0.05)
    assert box.density > 0.9
    assert box.coverage > 0.85
    assert box.support == pytest.approx(0.12, abs=0.03)


@pytest.mark.parametrize("threshold", [None, 0.5, 0.8, 0.95])
def test_statistics_agree_with_the_limits(threshold):
    x, y = corner_case(3)
    box = prim_box(x, y, names=NAMES, threshold=threshold)
    mask = in_box(x, box, NAMES)
    assert box.support == pytest.approx(mask.mean(), abs=1e-12)
    assert box.density == pytest.approx(y[mask].mean(), abs=1e-12)
    assert box.coverage == pytest.approx(y[mask].sum() / y.sum(), abs=1e-12)


def test_trajectory_starts_from_everything_and_purifies():
    x, y = corner_case(4)
    box = prim_box(x, y, names=NAMES, min_support=0.05)
    t = box.trajectory
    assert list(t.columns) == ["step", "coverage", "density", "support", "n_restricted"]
    np.testing.assert_array_equal(t["step"], np.arange(len(t)))
    first = t.iloc[0]
    assert (first["coverage"], first["support"], first["n_restricted"]) == (1.0, 1.0, 0)
    assert first["density"] == pytest.approx(y.mean())
    assert np.all(np.diff(t["density"]) > 0)
    assert np.all(np.diff(t["coverage"]) <= 0)
    # Each step keeps about 95% of the box: support decays geometrically.
    ratio = t["support"].to_numpy()[1:] / t["support"].to_numpy()[:-1]
    np.testing.assert_allclose(ratio, 0.95, atol=0.002)
    assert t["support"].min() >= 0.05
    last = t.iloc[-1]
    assert (box.coverage, box.density, box.support) == (last["coverage"], last["density"], last["support"])


@pytest.mark.parametrize("threshold", [0.6, 0.99])
def test_threshold_picks_the_widest_box_dense_enough(threshold):
    x, y = corner_case(5)
    t = prim_box(x, y, names=NAMES).trajectory
    box = prim_box(x, y, names=NAMES, threshold=threshold)
    assert box.density >= threshold
    dense = t[t["density"] >= threshold]
    assert box.coverage == dense["coverage"].max()
    # Among boxes of equal coverage the purest wins: peeling on while no case is lost is free.
    widest = dense[dense["coverage"] == box.coverage]
    assert box.density == widest["density"].max()
    step = int(widest["density"].idxmax())
    assert step == len(t) - 1 or t.loc[step + 1, "coverage"] < box.coverage
    assert t.loc[0, "density"] < threshold


def test_unreachable_threshold_falls_back_to_the_last_box():
    x, y = corner_case(5)
    y = y & (np.random.default_rng(0).random(y.size) < 0.5)  # the best box is only half pure
    last = prim_box(x, y, names=NAMES)
    box = prim_box(x, y, names=NAMES, threshold=0.99)
    assert box.density < 0.99
    assert box.limits == last.limits
    assert box.density == last.trajectory["density"].iloc[-1]


def test_min_support_stops_the_peeling():
    x, y = corner_case(6)
    box = prim_box(x, y, names=NAMES, min_support=0.3)
    # The true box holds 12% of the points, so the box must stay larger and hence impure.
    assert box.support >= 0.3
    assert box.coverage == pytest.approx(1.0, abs=0.02)
    # Nearly every case is inside, so density ~ (cases / n) / support; a 2% coverage shortfall
    # moves it by at most 0.02 * 0.12 / 0.3 = 0.008.
    assert box.density == pytest.approx(y.mean() / box.support, abs=0.01)


def test_discrete_input_is_peeled_by_whole_values():
    rng = np.random.default_rng(7)
    n = 4000
    x = np.column_stack([rng.random(n), rng.integers(0, 3, n).astype(float)])
    y = (x[:, 0] > 0.5) & (x[:, 1] == 2)
    box = prim_box(x, y, names=["share", "level"])
    assert box.limits["level"] == (2.0, 2.0)
    assert box.limits["share"][0] == pytest.approx(0.5, abs=0.03)
    assert box.density > 0.95


def test_all_true_needs_no_peeling():
    x, _ = corner_case(8, n=200)
    box = prim_box(x, np.ones(200, dtype=bool), names=NAMES)
    assert box.limits == {}
    assert (box.coverage, box.density, box.support) == (1.0, 1.0, 1.0)
    assert len(box.trajectory) == 1


def test_zero_one_integers_are_accepted_as_booleans():
    x, y = corner_case(9, n=1000)
    assert prim_box(x, y.astype(int), names=NAMES).limits == prim_box(x, y, names=NAMES).limits


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y": np.zeros(100, dtype=bool)}, "no true value"),
        ({"names": ["a", "b"]}, "names has 2 entries but x has 3 columns"),
        ({"names": ["a", "a", "b"]}, "distinct"),
        ({"y": np.ones(99, dtype=bool)}, r"shape \(100,\)"),
        ({"y": np.full(100, 2)}, "boolean"),
        ({"peel_alpha": 0.0}, "peel_alpha"),
        ({"min_support": 1.5}, "min_support"),
        ({"threshold": -0.1}, "threshold"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    x, y = corner_case(10, n=100)
    args = {"y": y, "names": NAMES} | kwargs
    with pytest.raises(ValueError, match=message):
        prim_box(x, args.pop("y"), **args)


def test_non_finite_inputs_raise():
    x, y = corner_case(11, n=100)
    x[3, 1] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        prim_box(x, y, names=NAMES)


def naive_trajectory(x: np.ndarray, y: np.ndarray, alpha: float = 0.05,
                     min_support: float = 0.05) -> list[tuple[int, int, float]]:
    """PRIM as its definition reads, with masks over every point and numpy's own quantile and
    searchsorted on each input's sorted values in the box: (input, side, density) per peel."""
    inside = np.ones(len(y), dtype=bool)
    density, path = y.mean(), []
    while True:
        best = None
        for j in range(x.shape[1]):
            ordered = np.sort(x[inside, j])
            m = ordered.size
            low, high = np.quantile(ordered, [alpha, 1 - alpha])
            start = np.searchsorted(ordered, low, "left") or np.searchsorted(ordered, low, "right")
            stop = np.searchsorted(ordered, high, "right")
            if stop == m:
                stop = np.searchsorted(ordered, high, "left")
            for side, keep in ((0, x[:, j] >= ordered[min(start, m - 1)]),
                               (1, x[:, j] <= ordered[max(stop - 1, 0)])):
                kept = inside & keep
                count = kept.sum()
                if count < min_support * len(y) or count == m:
                    continue
                candidate = y[kept].sum() / count
                if best is None or candidate > best[0]:
                    best = (candidate, j, side, kept)
        if best is None or best[0] <= density:
            return path
        density, j, side, inside = best
        path.append((j, side, density))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_peeling_is_the_naive_definition_step_for_step(seed):
    """Every peel (input, side, density) matches a direct implementation over masks, on inputs
    with long runs of ties (discrete) and without."""
    rng = np.random.default_rng(seed)
    n = 3000
    x = np.column_stack([rng.random(n), rng.integers(0, 4, n).astype(float),
                         rng.normal(size=n).round(1), rng.lognormal(size=n)])
    y = (x[:, 0] + 0.2 * x[:, 1] + 0.1 * x[:, 2] + 0.2 * rng.random(n)) > 1.1
    box = prim_box(x, y, names=["a", "b", "c", "d"], threshold=None)
    path = naive_trajectory(x, y)
    assert len(box.trajectory) == len(path) + 1
    assert box.trajectory["density"].tolist()[1:] == [d for _, _, d in path]
    assert box.density == path[-1][2]
