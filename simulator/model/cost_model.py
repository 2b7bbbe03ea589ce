r"""The cost model's fleet, facility and timing equations as pure array functions.

Each function takes arrays and returns arrays; none knows of YAML, strategies or chunks
(:mod:`simulator.model.chunk` builds the shapes). The trial axis comes LAST, so that the slices
taken year by year are contiguous in memory: per-trial parameters have shape (n,), time paths
(T, n), survival by age (T, n) indexed [age, trial]. ``t = year - start``; a vintage is the year
a chip enters service. Sourcing (shocks, the in-house program, allocation) lives in
:mod:`simulator.model.sourcing`, leases and funding in :mod:`simulator.model.finance`.

Equations (t = 0 is the start year):

* Demand [compute units]: :math:`D_0` given; for :math:`t \ge 1`
  :math:`D_t = D_{t-1}\,(1 + g_t)\,\exp(\sigma z_t - \sigma^2/2)` with
  :math:`g_t = g_1 (1 - d)^{t-1}`; :math:`z_t` standard normal, so the noise has mean 1;
  observed years (``horizon.observed_through``) carry no noise, and no shock starts and no
  generation already in volume fails in them.
* Survival of a chip of age :math:`a` (years in service) with lifetime :math:`L`:
  :math:`S(a) = \mathrm{clip}(L - a, 0, 1)`; integer lifetimes serve exactly L years.
* Fleet in service [units]: :math:`F_t = \sum_{v<t} Q_v S(t-v) + B\,S(t+1)`, where :math:`Q_v`
  are the units entering service in year v and B the fleet in service the year before the
  start (treated as entering service then).
* Units needed [units]: :math:`P_t = \max(0, D_t - F_t)`: new demand plus replacement of retired
  chips; a surplus is kept, never sold.
* Installed IT power [MW]: :math:`W_t = 10^{-3} \left(\sum_{v \le t} Q_v k(v) S(t-v) + B k_B S(t+1)\right)`.
* Data-centre capacity [MW]: :math:`C_t = \max(C_{t-1}, W_t)`, :math:`C_{-1} = W_{-1}` (the
  fleet before the start); construction :math:`(C_t - C_{t-1})\,c_{MW}` for capacity serving
  from year t.
* Energy [USD]: :math:`W_t \cdot 8760\,h \cdot u \cdot PUE \cdot p_{MWh}`.
* Operations [USD]: :math:`W_t \cdot c_{O\&M}` [USD per MW-year].
* Servers and networking [USD]: :math:`Q_v \cdot c_{srv}(v)`, :math:`c_{srv}(v) = c_0/(1+g_s)^v`
  per compute unit (in-house units / (1 - penalty)), a trend of their own.
* Cash timing: what serves from year s is paid over the ``L`` years before it comes online,
  online dates spread evenly over year s; the share paid in year s - k is
  :math:`w_k(L) = [G(1-k+L) - G(1-k) - G(L-k) + G(-k)] / L` with
  :math:`G(z) = \int_{-\infty}^{z} \mathrm{clip}(x, 0, 1)\,dx`, and :math:`w_0 = 1` at L = 0
  (:func:`payment_weights`). Cash spend in year t is :math:`\sum_k w_k X_{t+k}`; what is paid
  within the horizon for capacity serving after it is work in progress.
* NPV [USD, start-year]: :math:`\sum_t X_t / (1 + r)^t`.
"""

from __future__ import annotations

import numpy as np

HOURS_PER_YEAR = 8760.0


def running(ufunc: np.ufunc, x: np.ndarray) -> np.ndarray:
    """``ufunc.accumulate(x, axis=0)`` computed year by year (e.g. ``np.add``: cumulative sum).

    NumPy accumulates along the first axis of a C-ordered (T, n) array one strided element at a
    time, about 15x slower than this loop over T contiguous rows; the numbers are identical.

    Parameters
    ----------
    ufunc : numpy.ufunc
        A binary ufunc such as ``np.add`` or ``np.maximum``.
    x : ndarray, shape (T, ...)

    Returns
    -------
    ndarray, shape (T, ...)
    """
    out = np.empty_like(x)
    out[0] = x[0]
    for t in range(1, len(x)):
        ufunc(out[t - 1], x[t], out=out[t])
    return out


def sum_rows(x: np.ndarray, plus: np.ndarray | None = None) -> np.ndarray:
    """``x.sum(axis=0)``, then ``+ plus`` when given, the same bits in fewer passes.

    NumPy sums the first axis of a C-ordered array row after row, starting from a copy of the
    first; this adds the same rows in the same order, without the copy.

    Parameters
    ----------
    x : ndarray, shape (S, ...), or a sequence of S arrays of one shape (...)
    plus : ndarray, shape (...), optional

    Returns
    -------
    ndarray, shape (...): a new array
    """
    if len(x) == 1:
        return x[0].copy() if plus is None else x[0] + plus
    out = np.zeros(x.shape[1:], dtype=x.dtype) if len(x) == 0 else x[0] + x[1]
    for row in x[2:]:
        out += row
    if plus is not None:
        out += plus
    return out


def powers(x: np.ndarray, n_years: int) -> np.ndarray:
    """``x ** t`` for t = 0 .. T-1 by repeated multiplication.

    A power costs about 20 ns per element, a multiplication under one; over T <= 50 years the
    products drift from the correctly rounded powers by at most ~T ulp (1e-14 relative).

    Parameters
    ----------
    x : ndarray, shape (n,)
    n_years : int
        T.

    Returns
    -------
    ndarray, shape (T, n)
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(float)
    out = np.empty((n_years, *x.shape), dtype=x.dtype)
    if n_years == 0:  # a one-year horizon has no projected year to grow into
        return out
    out[0] = 1.0
    for t in range(1, n_years):
        np.multiply(out[t - 1], x, out=out[t])
    return out


def is_plus_zero(x: np.ndarray) -> bool:
    """Whether every element of ``x`` is +0.0 (checked on one element when ``x`` is a
    broadcast of one value, as the draws give a fixed input)."""
    one = x if any(x.strides) else x.reshape(-1)[:1]
    return not one.any() and not np.signbit(one).any()


def is_one(x: np.ndarray) -> bool:
    """Whether every element of ``x`` is exactly 1 (a factor that changes nothing)."""
    one = x if any(x.strides) else x.reshape(-1)[:1]
    return bool((one == 1.0).all())


def per_trial_or_one(x: np.ndarray) -> np.ndarray:
    """A per-trial input, shape (n,), or its one value, shape (1,), when it is the same in
    every trial (a fixed input, which the draws give as a read-only broadcast).

    The equations broadcast over trials, so a (1,) input gives the same numbers, bit for bit,
    with the work of one trial, as long as they use the basic operations (+ - x / min max):
    transcendental functions (power, exp, log) may round their last bit differently on
    broadcast operands and get per-trial arrays.
    """
    return x[:1] if x.ndim == 1 and x.size and x.strides[0] == 0 else x


def demand_path(start: np.ndarray, growth: np.ndarray, decay: np.ndarray, noise_sd: np.ndarray,
                z: np.ndarray, observed: int = 1) -> np.ndarray:
    """Required installed compute by year.

    Parameters
    ----------
    start : ndarray, shape (n,)
        Demand in the start year [compute units].
    growth : ndarray, shape (n,)
        Growth in the first projected year, ``g_1`` [1/yr] (> -1).
    decay : ndarray, shape (n,)
        Fraction of the growth rate lost each year, ``d`` [-].
    noise_sd : ndarray, shape (n,)
        Standard deviation of the yearly log-noise, ``sigma`` [-].
    z : ndarray, shape (T, n)
        Standard-normal innovations; rows of observed years are ignored. Without noise, best
        a read-only broadcast of +0 (no memory, no work).
    observed : int
        Years from the start that are history (at least the start year): no noise there.

    Returns
    -------
    ndarray, shape (T, n)
        Demand ``D_t`` [compute units].
    """
    n_years = z.shape[0]
    g = growth * powers(1.0 - decay, n_years - 1)  # (T-1, n): g_1 .. g_{T-1}
    if is_plus_zero(z) and is_plus_zero(noise_sd):
        # no noise: the noise terms are +0 x +0 - 0.5 x (+0)^2, which only turns a -0 into +0
        step = np.log1p(g)
        step += 0.0
    else:
        step = np.log1p(g) + noise_sd * z[1:] - 0.5 * noise_sd**2
    step[:max(observed, 1) - 1] = np.log1p(g[:max(observed, 1) - 1])  # history: the trend alone
    log_d = np.empty((n_years, len(start)), dtype=step.dtype)
    log_d[0] = 0.0
    if n_years > 1:
        log_d[1:] = running(np.add, step)
    return start * np.exp(log_d)


def trend(base: np.ndarray, gain: np.ndarray, n_years: int, *, out: np.ndarray | None = None,
          steps: np.ndarray | None = None) -> np.ndarray:
    """A quantity that improves by ``gain`` per year: ``base / (1 + gain) ** t``.

    Parameters
    ----------
    base : ndarray, shape (n,)
        Value at offset 0 (the start year) [any unit].
    gain : ndarray, shape (n,)
        Yearly improvement [1/yr], e.g. price-performance gain.
    n_years : int
        T: years t = 0 .. T-1 since the start.
    out : ndarray, shape (T, n), optional
        Where to write the path (e.g. a supplier's row of the shared paths).
    steps : ndarray, shape (T, n) or (T, 1), optional
        :func:`trend_steps` of ``gain``, when several bases share the gain.

    Returns
    -------
    ndarray, shape (T, n)
    """
    return np.multiply(base, trend_steps(gain, n_years) if steps is None else steps, out=out)


def trend_steps(gain: np.ndarray, n_years: int) -> np.ndarray:
    """``1 / (1 + gain) ** t`` for t = 0 .. T-1 [-], shape (T, n), or (T, 1) for a fixed gain:
    the factors of :func:`trend`."""
    return powers(1.0 / (1.0 + per_trial_or_one(gain)), n_years)


def survival(lifetime: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Fraction of a vintage still in service at ``age`` years after purchase.

    Parameters
    ----------
    lifetime : ndarray, shape (n,)
        Service life ``L`` [yr].
    age : ndarray, shape (k,)
        Ages [yr]; 0 is the purchase year.

    Returns
    -------
    ndarray, shape (k, n)
        ``clip(L - age, 0, 1)``; zero for negative ages (not yet bought).
    """
    age = np.asarray(age, dtype=np.result_type(lifetime, 1.0))[:, None]
    share = np.clip(lifetime - age, 0.0, 1.0)
    # no age before purchase (as in every kernel by age): nothing to zero
    return np.where(age < 0, 0.0, share) if (age < 0).any() else share


def survival_by_age(lifetime: np.ndarray, n_years: int) -> np.ndarray:
    """Survival of a vintage at every age the horizon can reach.

    Survival depends on age only, so this (T, n) kernel stands for the (T, T, n)
    year-by-vintage matrix: ``surv[t, v] = kernel[t - v]`` for ``v <= t``.

    Returns
    -------
    ndarray, shape (T, n)
        ``[a]``: share of a vintage in service ``a`` years after purchase [-].
    """
    return survival(lifetime, np.arange(n_years))


def legacy_in_service(before_start: np.ndarray, lifetime: np.ndarray, n_years: int) -> np.ndarray:
    """Units of the pre-start fleet still in service each year (bought the year before).

    Returns
    -------
    ndarray, shape (T, n) [compute units]
    """
    return before_start * survival(lifetime, np.arange(n_years) + 1.0)


def kernel_ages(kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ages of a kernel that matter to :func:`in_service`, found once per kernel.

    Parameters
    ----------
    kernel : ndarray, shape (T, n) or (T, 1)
        Share in service by age [-].

    Returns
    -------
    alive : ndarray, shape (m,), int
        Ages at which some trial is in service (the others add nothing).
    whole : ndarray, shape (T,), bool
        Ages at which every trial is wholly in service (kernel exactly 1): there the product
        with the kernel is the quantity itself, bit for bit, and is skipped.
    """
    axes = tuple(range(1, kernel.ndim))
    return np.flatnonzero(kernel.any(axis=axes)), (kernel == 1.0).all(axis=axes)


def in_service(per_vintage: np.ndarray, kernel: np.ndarray, *,
               ages: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Sum over the vintages still in service of a per-vintage quantity.

    Parameters
    ----------
    per_vintage : ndarray, shape (T, n)
        Quantity bought in each year (units, or units x kW per unit) [any unit].
    kernel : ndarray, shape (T', n) or (T', 1), T' >= T
        Share in service by age, :func:`survival_by_age` or :func:`contract_by_age` [-].
    ages : tuple of ndarray, optional
        :func:`kernel_ages` of ``kernel`` (or of a kernel it is the first rows of), when the
        same kernel serves many calls.

    Returns
    -------
    ndarray, shape (T, n)
        ``out[t] = sum_{a <= t} kernel[a] * per_vintage[t - a]`` [same unit].
    """
    n_years = per_vintage.shape[0]
    alive, whole = kernel_ages(kernel) if ages is None else ages
    dtype = np.result_type(per_vintage, kernel)
    # a convolution over ages: T(T+1)/2 products instead of the T^2 of a year-by-vintage
    # matrix; ages where nothing survives in any trial are skipped, and so are the products
    # where every trial survives whole (x * 1 == x)
    later = alive[(alive > 0) & (alive < n_years)]
    if not whole[0]:
        out = np.multiply(per_vintage, kernel[0], dtype=dtype)
    elif not len(later):
        return per_vintage.astype(dtype)
    else:
        # age 0 whole: the first later age adds straight onto the quantity itself, the same
        # sums as a copy of it added to afterwards
        out = np.empty(per_vintage.shape, dtype=dtype)
        out[:later[0]] = per_vintage[:later[0]]
    scratch = None
    for i, a in enumerate(later):
        part = per_vintage[:n_years - a]
        if not whole[a]:
            if scratch is None:
                scratch = np.empty((n_years - 1, *out.shape[1:]), dtype=dtype)
            part = np.multiply(part, kernel[a], out=scratch[:n_years - a])
        if i == 0 and whole[0]:
            np.add(per_vintage[a:], part, out=out[a:])
        else:
            out[a:] += part
    return out


def units_needed(demand: np.ndarray, alive: np.ndarray, out: np.ndarray | None = None
                 ) -> np.ndarray:
    """Units to buy this year: ``max(0, demand - fleet in service)`` [compute units], shape (n,),
    written into ``out`` when given."""
    short = np.subtract(demand, alive, out=out)
    return np.maximum(short, 0.0, out=short)


def datacentre_build_mw(power_mw: np.ndarray, power_before_start_mw: np.ndarray) -> np.ndarray:
    """New data-centre capacity built each year: capacity only ever grows to the fleet's power.

    Parameters
    ----------
    power_mw : ndarray, shape (T, n)
        Installed IT power [MW].
    power_before_start_mw : ndarray, shape (n,)
        Capacity in place the year before the start [MW].

    Returns
    -------
    ndarray, shape (T, n)
        Capacity added each year [MW], non-negative.
    """
    capacity = np.empty((len(power_mw) + 1, *power_mw.shape[1:]),
                        dtype=np.result_type(power_mw, power_before_start_mw))
    capacity[0] = power_before_start_mw
    for t in range(len(power_mw)):
        np.maximum(capacity[t], power_mw[t], out=capacity[t + 1])
    return np.subtract(capacity[1:], capacity[:-1])


def energy_cost(power_mw: np.ndarray, utilisation: np.ndarray, pue: np.ndarray,
                price_per_mwh: np.ndarray) -> np.ndarray:
    """Electricity bill: ``MW x 8760 h x utilisation x PUE x USD/MWh``.

    Parameters
    ----------
    power_mw : ndarray, shape (T, n)
        Installed IT power [MW].
    utilisation, pue, price_per_mwh : ndarray, shape (n,)
        Average load [-], power usage effectiveness [-], price [USD/MWh].

    Returns
    -------
    ndarray, shape (T, n) [USD/yr]
    """
    return power_mw * (HOURS_PER_YEAR * utilisation * pue * price_per_mwh)


def discount_factors(rate: np.ndarray, n_years: int) -> np.ndarray:
    """``1 / (1 + r)^t`` for t = 0..T-1.

    Returns
    -------
    ndarray, shape (T, n) [-]
    """
    return powers(1.0 / (1.0 + rate), n_years)


def _ramp_integral(z: np.ndarray) -> np.ndarray:
    """G(z): the integral of clip(x, 0, 1) from -inf to z."""
    return np.where(z <= 0.0, 0.0, np.where(z < 1.0, 0.5 * z * z, z - 0.5))


def payment_weights(lead: np.ndarray, max_lead: int) -> np.ndarray:
    """Share of the cost of capacity serving from year s that is paid in year s - k.

    Capacity comes online evenly through its first year of service and is paid evenly over the
    ``lead`` years before it comes online: with ``lead = 1``, half in the year before and half
    in the year itself; with ``lead = 0``, all in the year itself.

    Parameters
    ----------
    lead : ndarray, shape (n,)
        Lead time L [yr], in [0, max_lead].
    max_lead : int
        K: the largest lead time possible [yr].

    Returns
    -------
    ndarray, shape (K + 1, n), float64
        ``w[k]`` for k = 0 .. K [-]; each column sums to 1.
    """
    lead = np.asarray(lead, dtype=np.float64)
    k = np.arange(max_lead + 1, dtype=np.float64)[:, None]
    safe = np.maximum(lead, 1e-9)
    g = _ramp_integral
    w = (g(1.0 - k + safe) - g(1.0 - k) - g(safe - k) + g(-k)) / safe
    return np.where(lead > 0.0, w, (k == 0.0).astype(np.float64))


def paid_ahead(weights: np.ndarray) -> np.ndarray:
    """:func:`payment_weights` without the trailing lead years in which no trial pays anything.

    Their terms add ``+0 x cost``, which leaves every finite non-negative cash total unchanged
    bit for bit, so dropping them only saves work (e.g. chips ordered at most a year ahead in
    a scenario whose buildings take three).

    Parameters
    ----------
    weights : ndarray, shape (K + 1, n)

    Returns
    -------
    ndarray, shape (K' + 1, n), K' <= K: the first rows of ``weights``
    """
    paid = weights.any(axis=1) | np.signbit(weights).any(axis=1)
    return weights[:np.flatnonzero(paid)[-1] + 1] if paid.any() else weights[:1]
