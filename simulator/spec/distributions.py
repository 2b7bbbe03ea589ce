"""Input distributions: a fixed number or one of seven families, each mapped from uniforms by ``ppf``.

Sampling designs (random, Latin hypercube, Sobol) produce uniforms in [0, 1); every distribution
turns a column of them into values through its inverse CDF, :meth:`ppf`. Optional ``min``/``max``
bounds truncate a distribution exactly (the uniforms are squeezed into [F(min), F(max)]), so
truncation works with every design.

Families and their YAML forms (every number may be a readable string such as ``"30k"``)::

    12                                        fixed
    {value: 12, source: ...}                  fixed, with its source
    {dist: normal, mean: 1, sd: 0.2}
    {dist: lognormal, low: 5, high: 10}       90% interval: P5 = 5, P95 = 10, median sqrt(50)
    {dist: lognormal, median: 7, sigma: 0.2}  sigma of log(x)
    {dist: uniform, low: 0, high: 1}
    {dist: triangular, low: 0, mode: 1, high: 3}
    {dist: pert, low: 0, mode: 1, high: 3}    optional lambda (default 4)
    {dist: beta, a: 2, b: 5}                  optional low/high rescale [0, 1]
    {dist: discrete, values: [4, 5, 6], weights: [0.2, 0.5, 0.3]}
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal, Union, get_args

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from scipy import special
from scipy.special import ndtri

from simulator.spec.quantities import parse_quantity

#: z-score of the 95th percentile: a 90% interval spans +/- Z95 standard deviations.
Z95 = float(ndtri(0.95))

Quantity = Annotated[float, BeforeValidator(parse_quantity)]


def _low_below_high(model: Any) -> Any:
    """Validator shared by the families with a ``low`` and a ``high`` bound."""
    if not model.high > model.low:
        raise ValueError(f"high ({model.high:g}) must be above low ({model.low:g})")
    return model


class DistributionBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str | None = Field(None, description="Where the value comes from, or 'assumption: why'.")
    note: str | None = None

    @property
    def is_fixed(self) -> bool:
        return False

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Map uniforms to values.

        Parameters
        ----------
        u : ndarray, shape (n,)
            Uniform draws in [0, 1).

        Returns
        -------
        ndarray, shape (n,), float64
            Values with this distribution (when ``u`` is uniform).
        """
        raise NotImplementedError

    def quantile(self, q: float) -> float:
        """The q-quantile [field's unit], q in (0, 1)."""
        return float(self.ppf(np.array([q]))[0])

    def support(self) -> tuple[float, float]:
        """Smallest and largest value the distribution can produce."""
        return float(self.ppf(np.array([0.0]))[0]), float(self.ppf(np.array([1.0]))[0])

    def describe(self) -> str:
        """Short human-readable form, e.g. ``'lognormal 90% [5, 10]'``."""
        raise NotImplementedError


class Fixed(DistributionBase):
    """A number known exactly (degenerate distribution)."""

    dist: Literal["fixed"] = "fixed"
    value: Quantity

    @property
    def is_fixed(self) -> bool:
        return True

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value)

    def describe(self) -> str:
        return f"fixed {self.value:.6g}"


class _Continuous(DistributionBase):
    min: Quantity | None = Field(None, description="Lower truncation bound.")
    max: Quantity | None = Field(None, description="Upper truncation bound.")

    def scipy(self) -> Any:  # a frozen scipy.stats distribution
        raise NotImplementedError

    @model_validator(mode="after")
    def _check_bounds(self):
        if self.min is not None and self.max is not None and self.max <= self.min:
            raise ValueError(f"max ({self.max:g}) must be above min ({self.min:g})")
        if self.min is not None or self.max is not None:
            lo, hi = self._cdf_bounds()
            if not hi > lo:
                raise ValueError("the min/max bounds leave no probability mass")
        return self

    def _cdf_bounds(self) -> tuple[float, float]:
        d = self.scipy()
        lo = 0.0 if self.min is None else float(d.cdf(self.min))
        hi = 1.0 if self.max is None else float(d.cdf(self.max))
        return lo, hi

    def ppf(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        if self.min is not None or self.max is not None:
            lo, hi = self._cdf_bounds()
            u = lo + u * (hi - lo)
        x = self._ppf(u)
        # ppf(1) of an unbounded family is inf: clip to the declared bounds only.
        if self.min is not None or self.max is not None:
            x = np.clip(x, -np.inf if self.min is None else self.min,
                        np.inf if self.max is None else self.max)
        return x

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF before truncation; families override it with closed forms, because a
        frozen scipy distribution spends milliseconds per call on checks (40 inputs per chunk)."""
        return self.scipy().ppf(u)

    def _bounds_text(self) -> str:
        parts = []
        if self.min is not None:
            parts.append(f"min {self.min:.4g}")
        if self.max is not None:
            parts.append(f"max {self.max:.4g}")
        return f" ({', '.join(parts)})" if parts else ""


class Normal(_Continuous):
    """Normal with mean and standard deviation ``sd``."""

    dist: Literal["normal"]
    mean: Quantity
    sd: Quantity = Field(gt=0)

    def scipy(self) -> Any:
        from scipy import stats  # only here: importing it takes half a second

        return stats.norm(loc=self.mean, scale=self.sd)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        return self.mean + self.sd * ndtri(u)

    def describe(self) -> str:
        return f"normal(mean {self.mean:.4g}, sd {self.sd:.4g}){self._bounds_text()}"


class Lognormal(_Continuous):
    """Lognormal given as a 90% interval (``low`` = P5, ``high`` = P95) or as ``median`` and ``sigma``.

    From the interval: ``mu = (ln low + ln high) / 2`` and ``sigma = (ln high - ln low) / (2 z95)``
    with ``z95 = 1.6449``, so the median is ``sqrt(low * high)``.
    """

    dist: Literal["lognormal"]
    low: Quantity | None = Field(None, gt=0, description="5th percentile.")
    high: Quantity | None = Field(None, gt=0, description="95th percentile.")
    median: Quantity | None = Field(None, gt=0)
    sigma: Quantity | None = Field(None, gt=0, description="Standard deviation of log(x).")

    @model_validator(mode="before")
    @classmethod
    def _one_form(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if v is not None}  # round-trips model_dump
            interval = "low" in data or "high" in data
            moments = "median" in data or "sigma" in data
            if interval and moments:
                raise ValueError("give either low/high (a 90% interval) or median/sigma, not both")
            need = ("low", "high") if interval or not moments else ("median", "sigma")
            missing = [k for k in need if k not in data]
            if missing:
                raise ValueError(f"lognormal needs {' and '.join(need)}; missing "
                                 f"{', '.join(missing)}")
        return data

    @model_validator(mode="after")
    def _ordered(self):
        if self.low is not None and self.high is not None and not self.high > self.low:
            raise ValueError(f"high (P95 = {self.high:g}) must be above low (P5 = {self.low:g})")
        return self

    @property
    def mu_sigma(self) -> tuple[float, float]:
        """Parameters of log(x): mean and standard deviation."""
        if self.low is not None and self.high is not None:
            a, b = np.log(self.low), np.log(self.high)
            return float((a + b) / 2), float((b - a) / (2 * Z95))
        return float(np.log(self.median)), float(self.sigma)

    def scipy(self) -> Any:
        from scipy import stats  # only here: importing it takes half a second

        mu, sigma = self.mu_sigma
        return stats.lognorm(s=sigma, scale=np.exp(mu))

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        mu, sigma = self.mu_sigma
        return np.exp(mu + sigma * ndtri(u))

    def describe(self) -> str:
        if self.low is not None:
            return f"lognormal 90% [{self.low:.4g}, {self.high:.4g}]{self._bounds_text()}"
        return f"lognormal(median {self.median:.4g}, sigma {self.sigma:.4g}){self._bounds_text()}"


class Uniform(_Continuous):
    """Uniform on [low, high]."""

    dist: Literal["uniform"]
    low: Quantity
    high: Quantity

    _ordered = model_validator(mode="after")(lambda self: _low_below_high(self))

    def scipy(self) -> Any:
        from scipy import stats  # only here: importing it takes half a second

        return stats.uniform(loc=self.low, scale=self.high - self.low)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * u

    def describe(self) -> str:
        return f"uniform [{self.low:.4g}, {self.high:.4g}]{self._bounds_text()}"


class _ThreePoint(_Continuous):
    low: Quantity
    mode: Quantity
    high: Quantity

    @model_validator(mode="after")
    def _ordered(self):
        if not (self.low <= self.mode <= self.high and self.high > self.low):
            raise ValueError(f"need low <= mode <= high with low < high; got low {self.low:g}, "
                             f"mode {self.mode:g}, high {self.high:g}")
        return self


class Triangular(_ThreePoint):
    """Triangular with minimum ``low``, mode ``mode`` and maximum ``high``."""

    dist: Literal["triangular"]

    def scipy(self) -> Any:
        from scipy import stats  # only here: importing it takes half a second

        width = self.high - self.low
        return stats.triang(c=(self.mode - self.low) / width, loc=self.low, scale=width)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        width = self.high - self.low
        c = (self.mode - self.low) / width
        left = self.low + np.sqrt(u * width * (self.mode - self.low))
        right = self.high - np.sqrt((1 - u) * width * (self.high - self.mode))
        return np.where(u < c, left, right)

    def describe(self) -> str:
        return f"triangular [{self.low:.4g}, {self.mode:.4g}, {self.high:.4g}]"


class Pert(_ThreePoint):
    """PERT: a beta on [low, high] with shape ``1 + lambda (mode - low) / (high - low)`` and
    ``1 + lambda (high - mode) / (high - low)``; mean ``(low + lambda mode + high) / (lambda + 2)``."""

    dist: Literal["pert"]
    lam: float = Field(4.0, alias="lambda", gt=0)

    def _shape(self) -> tuple[float, float]:
        width = self.high - self.low
        return (1 + self.lam * (self.mode - self.low) / width,
                1 + self.lam * (self.high - self.mode) / width)

    def scipy(self) -> Any:
        from scipy import stats  # only here: importing it takes half a second

        a, b = self._shape()
        return stats.beta(a, b, loc=self.low, scale=self.high - self.low)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * beta_ppf(*self._shape(), u)

    def describe(self) -> str:
        return f"PERT [{self.low:.4g}, {self.mode:.4g}, {self.high:.4g}]"


class Beta(_Continuous):
    """Beta(a, b) rescaled to [low, high] (default [0, 1])."""

    dist: Literal["beta"]
    a: Quantity = Field(gt=0)
    b: Quantity = Field(gt=0)
    low: Quantity = 0.0
    high: Quantity = 1.0

    _ordered = model_validator(mode="after")(lambda self: _low_below_high(self))

    def scipy(self) -> Any:
        from scipy import stats  # only here: importing it takes half a second

        return stats.beta(self.a, self.b, loc=self.low, scale=self.high - self.low)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        if self.a < 1 or self.b < 1:  # U- or J-shaped: infinite density at an end
            return self.scipy().ppf(u)
        return self.low + (self.high - self.low) * beta_ppf(self.a, self.b, u)

    def describe(self) -> str:
        return f"beta(a {self.a:.4g}, b {self.b:.4g}) on [{self.low:.4g}, {self.high:.4g}]"


class Discrete(DistributionBase):
    """A choice among ``values`` with probabilities proportional to ``weights`` (default equal)."""

    dist: Literal["discrete"]
    values: list[Quantity] = Field(min_length=1)
    weights: list[Quantity] | None = None

    @model_validator(mode="after")
    def _check(self):
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(f"{len(self.weights)} weights for {len(self.values)} values")
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights must be non-negative and not all zero")
        return self

    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        values = np.asarray(self.values, dtype=float)
        w = np.ones_like(values) if self.weights is None else np.asarray(self.weights, float)
        order = np.argsort(values, kind="stable")  # sorted so that ppf is monotone (LHS, copulas)
        cum = np.cumsum(w[order]) / w.sum()
        return values[order], cum

    def ppf(self, u: np.ndarray) -> np.ndarray:
        values, cum = self._table()
        idx = np.searchsorted(cum, np.asarray(u, dtype=float), side="right")
        return values[np.minimum(idx, len(values) - 1)]

    def describe(self) -> str:
        vals = ", ".join(f"{v:.4g}" for v in self.values)
        if self.weights is None:
            return f"one of [{vals}]"
        total = sum(self.weights)
        return "one of [" + ", ".join(
            f"{v:.4g} ({w / total:.0%})" for v, w in zip(self.values, self.weights, strict=True)) + "]"


@lru_cache(maxsize=128)
def _beta_table(a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    # Chebyshev-spaced x: dense near 0 and 1, where the quantile function bends most
    x = 0.5 - 0.5 * np.cos(np.pi * np.linspace(0.0, 1.0, 4097))
    return special.betainc(a, b, x), x


def beta_ppf(a: float, b: float, u: np.ndarray) -> np.ndarray:
    """Inverse CDF of Beta(a, b) for a, b >= 1, to about 1e-12.

    Linear interpolation in a table of the CDF gives a start within ~1e-7; one Halley step on
    ``betainc(a, b, x) - u`` (cubic convergence: the density's derivative is free once the
    density is known) finishes, with a single evaluation of ``betainc``. The upper half is solved as the
    lower half of Beta(b, a) (``1 - u`` is exact there), so the density never vanishes at the
    solution; the far tails (u < 1e-6 or > 1 - 1e-6, a few draws in a million) go to
    ``scipy.special.betaincinv``. About 3x faster than betaincinv throughout, which matters for
    PERT inputs drawn millions of times.

    Parameters
    ----------
    a, b : float
        Shape parameters, >= 1.
    u : ndarray
        Probabilities in [0, 1].

    Returns
    -------
    ndarray
        Quantiles in [0, 1], same shape as ``u``.
    """
    u = np.asarray(u, dtype=float)
    x = np.empty_like(u)
    upper = u > 0.5
    # every point is solved as a lower-half quantile: of Beta(a, b) at u or of Beta(b, a) at 1 - u
    x[~upper] = _lower_half(a, b, u[~upper])
    x[upper] = 1.0 - _lower_half(b, a, 1.0 - u[upper])
    tail = (u < 1e-6) | (u > 1 - 1e-6)
    if tail.any():
        x[tail] = special.betaincinv(a, b, u[tail])
    return x


def _lower_half(a: float, b: float, q: np.ndarray) -> np.ndarray:
    table_u, table_x = _beta_table(float(a), float(b))
    x = np.interp(q, table_u, table_x)
    log_norm = special.betaln(a, b)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        density = np.exp((a - 1) * np.log(x) + (b - 1) * np.log1p(-x) - log_norm)
        newton = (special.betainc(a, b, x) - q) / density
        # Halley: f''/f' of the CDF is the log-density's slope
        slope = (a - 1) / x - (b - 1) / (1 - x)
        step = newton / (1.0 - 0.5 * newton * slope)
    return np.clip(np.where((density > 0) & np.isfinite(step), x - step, x), 0.0, 1.0)

_FAMILY_CLASSES = (Fixed, Normal, Lognormal, Uniform, Triangular, Pert, Beta, Discrete)

Distribution = Annotated[Union[_FAMILY_CLASSES], Field(discriminator="dist")]  # noqa: UP007

#: Names accepted for ``dist:``, read from each family's own ``dist`` literal.
FAMILIES = tuple(get_args(cls.model_fields["dist"].annotation)[0] for cls in _FAMILY_CLASSES)
