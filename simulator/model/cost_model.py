r"""The cost model's equations as pure array functions.

Each function takes arrays and returns arrays; none knows of YAML, strategies or chunks (the
engine, :mod:`simulator.run.engine`, builds the shapes). The trial axis comes LAST, so that the
slices the engine takes year by year are contiguous in memory: per-trial parameters have shape
(n,), time paths (T, n), survival by age (T, n) indexed [age, trial], and per-supplier
arrays (S, n). ``t = year - start``; a vintage is the year a chip was bought.

Equations (t = 0 is the start year):

* Demand [compute units]: :math:`D_0` given; for :math:`t \ge 1`
  :math:`D_t = D_{t-1}\,(1 + g_t)\,\exp(\sigma z_t - \sigma^2/2)` with
  :math:`g_t = g_1 (1 - d)^{t-1}`; :math:`z_t` standard normal, so the noise has mean 1;
  observed years (``horizon.observed_through``) carry no noise, and no shock starts and no
  generation already in volume fails in them.
* Survival of a chip of age :math:`a` (years since purchase) with lifetime :math:`L`:
  :math:`S(a) = \mathrm{clip}(L - a, 0, 1)`; integer lifetimes serve exactly L years.
* Fleet in service [units]: :math:`F_t = \sum_{v<t} Q_v S(t-v) + B\,S(t+1)`, where :math:`Q_v`
  are the units delivered in year v and B the fleet in service the year before the start
  (treated as bought then).
* Units needed [units]: :math:`P_t = \max(0, D_t - F_t)`: new demand plus replacement of retired
  chips; a surplus is kept, never sold.
* Sourcing: :math:`P_t` is ordered from suppliers by the strategy's shares; supplier s delivers
  :math:`\min(o_s f_s, c_s)` with :math:`f_s` the share of orders a shock lets through and
  :math:`c_s` its capacity; what the others cannot deliver goes to the fallback supplier, and
  what it cannot deliver is unmet demand (:func:`allocate`).
* Vintage price [USD/unit]: :math:`p(v) = p_0 / (1 + g_p)^v` times shock multipliers; merchants'
  :math:`p_0` is their list price (or cost / (1 - margin)) times a shortage premium; an in-house
  chip's is its unit cost / (1 - performance penalty), times Wright's learning factor
  :math:`(\max(V/V_0, 1))^{\log_2 r}` on cumulative in-house volume V.
* Vintage power [kW/unit]: :math:`k(v) = k_0 / (1 + g_k)^v` (in-house: / (1 - penalty)).
* Installed IT power [MW]: :math:`W_t = 10^{-3} \left(\sum_{v \le t} Q_v k(v) S(t-v) + B k_B S(t+1)\right)`.
* Data-centre capacity [MW]: :math:`C_t = \max(C_{t-1}, W_t)`, :math:`C_{-1} = W_{-1}` (the
  fleet before the start); construction spend :math:`(C_t - C_{t-1})\,c_{MW}`.
* Energy [USD]: :math:`W_t \cdot 8760\,h \cdot u \cdot PUE \cdot p_{MWh}`.
* Operations [USD]: :math:`W_t \cdot c_{O\&M}` [USD per MW-year].
* Servers and networking [USD]: :math:`m \cdot` accelerator spend.
* Lease price [USD/(unit yr)]: :math:`(p (1 + m) / L + k c_{MW} / L_{dc} + k (e + o))(1 + \mu)`
  with k in MW per unit: the building over its own life, so that at zero margin renting costs
  what owning does over any number of chip generations (:func:`lease_price`).
* In-house program [USD]: team cost every year from the program's start plus each generation's
  NRE in its design-start year, whether or not the chip ships.
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
    out[0] = 1.0
    for t in range(1, n_years):
        np.multiply(out[t - 1], x, out=out[t])
    return out


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
        Standard-normal innovations; rows of observed years are ignored.
    observed : int
        Years from the start that are history (at least the start year): no noise there.

    Returns
    -------
    ndarray, shape (T, n)
        Demand ``D_t`` [compute units].
    """
    n_years = z.shape[0]
    g = growth * powers(1.0 - decay, n_years - 1)  # (T-1, n): g_1 .. g_{T-1}
    step = np.log1p(g) + noise_sd * z[1:] - 0.5 * noise_sd**2
    step[:max(observed, 1) - 1] = np.log1p(g[:max(observed, 1) - 1])  # history: the trend alone
    log_d = np.empty((n_years, len(start)), dtype=step.dtype)
    log_d[0] = 0.0
    if n_years > 1:
        log_d[1:] = running(np.add, step)
    return start * np.exp(log_d)


def trend(base: np.ndarray, gain: np.ndarray, n_years: int) -> np.ndarray:
    """A quantity that improves by ``gain`` per year: ``base / (1 + gain) ** t``.

    Parameters
    ----------
    base : ndarray, shape (n,)
        Value at offset 0 (the start year) [any unit].
    gain : ndarray, shape (n,)
        Yearly improvement [1/yr], e.g. price-performance gain.
    n_years : int
        T: years t = 0 .. T-1 since the start.

    Returns
    -------
    ndarray, shape (T, n)
    """
    return base * powers(1.0 / (1.0 + gain), n_years)


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
    return np.where(age < 0, 0.0, np.clip(lifetime - age, 0.0, 1.0))


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


def in_service(per_vintage: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Sum over the vintages still in service of a per-vintage quantity.

    Parameters
    ----------
    per_vintage : ndarray, shape (T, n)
        Quantity bought in each year (units, or units x kW per unit) [any unit].
    kernel : ndarray, shape (T, n) or (T, 1)
        Share in service by age, :func:`survival_by_age` or :func:`contract_by_age` [-].

    Returns
    -------
    ndarray, shape (T, n)
        ``out[t] = sum_{a <= t} kernel[a] * per_vintage[t - a]`` [same unit].
    """
    n_years = per_vintage.shape[0]
    out = per_vintage * kernel[0]
    # a convolution over ages: T(T+1)/2 products instead of the T^2 of a year-by-vintage
    # matrix, and ages where nothing survives in any trial are skipped
    alive = np.flatnonzero(kernel.any(axis=tuple(range(1, kernel.ndim))))
    for a in alive[alive > 0]:
        out[a:] += per_vintage[:n_years - a] * kernel[a]
    return out


def units_needed(demand: np.ndarray, alive: np.ndarray) -> np.ndarray:
    """Units to buy this year: ``max(0, demand - fleet in service)`` [compute units], shape (n,)."""
    return np.maximum(demand - alive, 0.0)


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
    capacity = running(np.maximum, np.vstack([power_before_start_mw, power_mw]))
    return np.diff(capacity, axis=0)


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


# -- sourcing: shocks, the in-house program and the allocation of orders -------------------------

def shock_active(starts: np.ndarray, duration: np.ndarray) -> np.ndarray:
    """Years in which a shock is active: an event starting in year s covers
    ``s .. s + ceil(duration) - 1``; overlapping events merge.

    Parameters
    ----------
    starts : ndarray, shape (T, n), bool
        Whether an event starts in each year.
    duration : ndarray, shape (n,)
        Duration of the events [yr], > 0.

    Returns
    -------
    ndarray, shape (T, n), bool
    """
    n_years = starts.shape[0]
    lasts = np.ceil(duration).astype(np.int64)
    active = np.zeros_like(starts, dtype=bool)
    for lag in range(min(n_years, int(lasts.max(initial=0)))):
        active[lag:] |= starts[: n_years - lag] & (lag < lasts)
    return active


def inhouse_availability(delay: np.ndarray, first_volume_offset: float, generation_years: int,
                         fails: np.ndarray, n_years: int) -> np.ndarray:
    """Fraction of each year in which a working in-house generation is in volume.

    Generation g ships over ``[s_g, s_g + generation_years)`` with
    ``s_g = first_volume_offset + delay + g * generation_years`` (offsets in years from the
    start year; year t covers ``[t, t + 1)``), unless it failed. With one generation per design
    start up to the horizon's end (:meth:`Program.generations`), the windows tile the horizon.

    Parameters
    ----------
    delay : ndarray, shape (n,)
        Slip of the volume start [yr].
    first_volume_offset : float
        Planned first volume year minus the start year [yr].
    generation_years : int
        Cadence [yr].
    fails : ndarray, shape (G, n), bool
        Whether each generation fails.
    n_years : int

    Returns
    -------
    ndarray, shape (T, n), in [0, 1]
    """
    t = np.arange(n_years, dtype=delay.dtype)[:, None]
    out = np.zeros((n_years, len(delay)), dtype=delay.dtype)
    for g in range(fails.shape[0]):
        s = first_volume_offset + delay + g * generation_years  # (n,)
        overlap = np.clip(np.minimum(t + 1, s + generation_years) - np.maximum(t, s), 0.0, 1.0)
        out += overlap * ~fails[g]
    return np.minimum(out, 1.0)


def capacity_path(first_year: np.ndarray, growth: np.ndarray, ceiling: np.ndarray,
                  volume_start: np.ndarray, n_years: int) -> np.ndarray:
    """Yearly capacity ramp: ``min(ceiling, first_year * (1 + growth) ** max(0, t - s0))``.

    Parameters
    ----------
    first_year : ndarray, shape (n,)
        Capacity in the first volume year [units/yr].
    growth : ndarray, shape (n,)
        Yearly growth of capacity [1/yr].
    ceiling : ndarray, shape (n,)
        Maximum capacity [units/yr] (``inf`` for none).
    volume_start : ndarray, shape (n,)
        Offset of the actual first volume year from the start year [yr] (delay included).

    Returns
    -------
    ndarray, shape (T, n) [units/yr]
    """
    age = np.maximum(np.arange(n_years, dtype=volume_start.dtype)[:, None] - volume_start, 0.0)
    return np.minimum(first_year * (1.0 + growth) ** age, ceiling)


def wright_factor(cumulative: np.ndarray, reference: np.ndarray, learning_rate: np.ndarray
                  ) -> np.ndarray:
    """Wright's law: cost multiplier ``(max(V / V0, 1)) ** log2(rate)`` after cumulative volume V.

    Parameters
    ----------
    cumulative : ndarray, shape (n,)
        Units produced so far, V [units].
    reference : ndarray, shape (n,)
        Volume at which the start-year cost applies, V0 [units].
    learning_rate : ndarray, shape (n,)
        Progress ratio in (0, 1]: each doubling multiplies cost by it [-].

    Returns
    -------
    ndarray, shape (n,) [-], in (0, 1]
    """
    return np.maximum(cumulative / reference, 1.0) ** np.log2(learning_rate)


def program_costs(nre: np.ndarray, team: np.ndarray, start_offset: int, generation_years: int,
                  n_generations: int, n_years: int) -> np.ndarray:
    """In-house program spend: the team every year from the program's start, and each
    generation's NRE in its design-start year ``start_offset + g * generation_years``. Spend
    before the horizon is sunk and not counted.

    Parameters
    ----------
    nre : ndarray, shape (n,)
        Design cost per generation [USD].
    team : ndarray, shape (n,)
        Team cost [USD/yr].
    start_offset : int
        Program start year minus the horizon's start year [yr] (may be negative).

    Returns
    -------
    ndarray, shape (T, n) [USD]
    """
    t = np.arange(n_years)
    cost = (t >= start_offset).astype(team.dtype)[:, None] * team
    design = start_offset + generation_years * np.arange(n_generations)
    for d in design[(design >= 0) & (design < n_years)]:
        cost[d] += nre
    return cost


def allocate(orders: np.ndarray, supply_fraction: np.ndarray, capacity: np.ndarray,
             fallback: int | None, out: np.ndarray | None = None) -> np.ndarray:
    """Serve each supplier's orders within its limits; shortfalls go to the fallback supplier.

    Supplier j delivers ``min(order_j * supply_fraction_j, capacity_j)``. What the others cannot
    deliver is added to the fallback's order, which is then served within the fallback's own
    limits; what it cannot deliver is unmet.

    Parameters
    ----------
    orders : ndarray, shape (S, n)
        Units ordered from each supplier [units].
    supply_fraction : ndarray, shape (S, n)
        Share of an order a supplier can deliver (shocks) [-].
    capacity : ndarray, shape (S, n)
        Absolute limit on deliveries [units] (``inf`` for none).
    fallback : int or None
        Row of the fallback supplier.
    out : ndarray, shape (S, n), optional
        Where to write the deliveries (e.g. a year's slice of the engine's array).

    Returns
    -------
    ndarray, shape (S, n)
        Units delivered by each supplier [units]; never more than ordered in total.
    """
    delivered = np.multiply(orders, supply_fraction, out=out)
    np.minimum(delivered, capacity, out=delivered)
    if fallback is not None:
        short = (orders - delivered).sum(axis=0) - (orders[fallback] - delivered[fallback])
        order_f = orders[fallback] + short
        delivered[fallback] = np.minimum(order_f * supply_fraction[fallback], capacity[fallback])
    return delivered


def breakeven_year(cumulative_saving: np.ndarray, years: np.ndarray) -> np.ndarray:
    """First year from which a cumulative saving stays non-negative to the horizon's end.

    Parameters
    ----------
    cumulative_saving : ndarray, shape (T, n)
        Cumulative net saving [USD].
    years : ndarray, shape (T,)
        Calendar years.

    Returns
    -------
    ndarray, shape (n,)
        Calendar year; ``inf`` when still negative in the last year.
    """
    negative = cumulative_saving < 0
    n_years = negative.shape[0]
    # index of the last negative year, -1 if none
    last_negative = np.where(negative.any(axis=0),
                             n_years - 1 - np.argmax(negative[::-1], axis=0), -1)
    year = years[0] + last_negative + 1.0
    return np.where(last_negative == n_years - 1, np.inf, year)


# -- own versus lease, revenue and funding -------------------------------------------------------

def lease_price(chip_price: np.ndarray, server_multiple: np.ndarray, kw_per_unit: np.ndarray,
                dc_cost_per_mw: np.ndarray, lifetime: np.ndarray, dc_life: np.ndarray,
                energy_per_mw_year: np.ndarray, om_per_mw_year: np.ndarray, margin: np.ndarray
                ) -> np.ndarray:
    """A cloud provider's price per compute unit-year: its own cost times ``1 + margin``.

    Own cost = chip x (1 + server multiple) / chip life + kW/1000 x USD/MW / building life
    + kW/1000 x (energy + O&M per MW-year). The provider's building outlives the chips in it
    and houses generation after generation, so each unit-year carries one year of the
    building's depreciation, as an owner's economic cost does: at zero margin, renting costs
    what owning does over any number of chip generations.

    Parameters
    ----------
    chip_price, kw_per_unit : ndarray, shape (T, n)
        Price [USD/unit] and power [kW/unit] of each year's chips.
    server_multiple, dc_cost_per_mw, lifetime, dc_life, energy_per_mw_year, om_per_mw_year,
    margin : ndarray, shape (n,)
        [USD/USD], [USD/MW], [yr], [yr], [USD/(MW yr)], [USD/(MW yr)], [-].

    Returns
    -------
    ndarray, shape (T, n) [USD/(unit yr)]
    """
    mw = kw_per_unit * 1e-3
    hardware = chip_price * (1.0 + server_multiple) / lifetime
    building = mw * (dc_cost_per_mw / dc_life)
    return (hardware + building + mw * (energy_per_mw_year + om_per_mw_year)) * (1.0 + margin)


def contract_by_age(contract_years: int, n_years: int, dtype: type = float) -> np.ndarray:
    """Whether a contract runs ``a`` years after signing: ``a < contract_years``.

    Returns
    -------
    ndarray, shape (T, 1) [-], by age, broadcasting over trials (see :func:`in_service`)
    """
    return (np.arange(n_years) < contract_years).astype(dtype)[:, None]


def committed_after_horizon(payment_per_year: np.ndarray, contract_years: int) -> np.ndarray:
    """Lease payments still owed after the last year on contracts signed within the horizon.

    Parameters
    ----------
    payment_per_year : ndarray, shape (T, n)
        Yearly payment of the contracts signed in each year [USD/yr].
    contract_years : int

    Returns
    -------
    ndarray, shape (n,) [USD, nominal]
    """
    n_years = payment_per_year.shape[0]
    years_left = np.maximum(np.arange(n_years) + contract_years - n_years, 0)
    return years_left @ payment_per_year


def growth_path(start: np.ndarray, growth: np.ndarray, decay: np.ndarray, n_years: int
                ) -> np.ndarray:
    """``x_t = x_0 prod_{k<=t} (1 + g_k)`` with ``g_k = g_1 (1 - d)^(k-1)`` (no noise).

    Returns
    -------
    ndarray, shape (T, n) [unit of start]
    """
    return demand_path(start, growth, decay, np.zeros_like(start),
                       np.zeros((n_years, len(start)), dtype=start.dtype))


def funding_paths(amounts: list[np.ndarray], happen: list[np.ndarray], offsets: list[int],
                  rates: list[np.ndarray], n_years: int, n: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative funding and debt interest by year.

    A raise that happens adds its amount in its year (raises before the start count in the
    start year; after the end, not at all); debt pays ``rate x amount`` every later year.

    Parameters
    ----------
    amounts, happen, rates : list of ndarray, each shape (n,)
        Per raise: amount [USD], whether it materialises [bool], interest rate [1/yr] (0 for
        equity).
    offsets : list of int
        Per raise: its year minus the start year.
    n_years, n : int
        Years and trials.

    Returns
    -------
    funding : ndarray, shape (T, n)
        Cumulative funding received by each year [USD].
    interest : ndarray, shape (T, n)
        Interest paid each year [USD/yr].
    """
    dtype = np.result_type(*amounts) if amounts else np.float64
    received = np.zeros((n_years, n), dtype=dtype)
    interest = np.zeros((n_years, n), dtype=dtype)
    t = np.arange(n_years)[:, None]
    for amount, yes, offset, rate in zip(amounts, happen, offsets, rates, strict=True):
        if offset >= n_years:
            continue
        got = amount * yes
        received[max(offset, 0)] += got
        interest += np.where(t > offset, rate * got, 0.0)
    return running(np.add, received), interest


def funding_gap(cash_need: np.ndarray, funding: np.ndarray, years: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """The most that must be raised beyond committed funding, and the year the gap opens.

    Parameters
    ----------
    cash_need : ndarray, shape (..., T)
        Cumulative cash need by year [USD]: infrastructure cash spend plus interest minus
        operating cash flow, summed from the start year.
    funding : ndarray, shape (..., T)
        Cumulative committed funding received by each year [USD].
    years : ndarray, shape (T,)

    Returns
    -------
    gap : ndarray, shape (...)
        ``max(0, max_t (cash_need_t - funding_t))`` [USD].
    year : ndarray, shape (...)
        First calendar year with a positive gap; ``inf`` if none.
    """
    shortfall = cash_need - funding
    opens = shortfall > 0
    first = np.where(opens.any(axis=-1), years[0] + np.argmax(opens, axis=-1).astype(float),
                     np.inf)
    return np.maximum(shortfall.max(axis=-1), 0.0), first
