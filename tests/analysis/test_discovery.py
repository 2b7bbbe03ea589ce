"""The Kolmogorov-Smirnov distance of the what-must-be-true tables, against SciPy's."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ks_2samp

from simulator.analysis.discovery import ks_distance


@pytest.mark.parametrize("seed", range(8))
def test_ks_distance_equals_scipy_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    # both sides of scipy's exact/asymptotic switch at 10,000 per sample
    n_a, n_b = (int(rng.integers(1, 400)), int(rng.integers(1, 400))) if seed < 4 else \
        (int(rng.integers(5_000, 15_000)), int(rng.integers(100, 15_000)))
    a = rng.normal(size=n_a).astype(np.float32)
    b = (rng.normal(size=n_b) * 1.3 + 0.2).astype(np.float32)
    if seed % 2:
        a, b = np.round(a), np.round(b)  # ties
    assert ks_distance(a, b) == ks_2samp(a, b).statistic
    assert ks_distance(np.sort(a), np.sort(b), presorted=True) == ks_2samp(a, b).statistic


def test_ks_distance_of_separated_samples_is_one_and_of_equal_samples_zero():
    assert ks_distance(np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])) == 1.0
    assert ks_distance(np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0])) == 0.0
