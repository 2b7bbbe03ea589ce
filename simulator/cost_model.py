r"""The cost model's equations as pure array functions.

Each function takes arrays and returns arrays; none knows of YAML, strategies or chunks (the
engine, :mod:`simulator.engine`, builds the shapes). Axes: ``trial`` (n), ``year`` (T, index
``t = year - start``), ``vintage`` (the year a chip was bought, same index as year). Arrays of
per-trial parameters have shape (n,); time paths have shape (n, T).

Equations (t = 0 is the start year):

* Demand [compute units]: :math:`D_0` given; for :math:`t \ge 1`
  :math:`D_t = D_{t-1}\,(1 + g_t)\,\exp(\sigma z_t - \sigma^2/2)` with
  :math:`g_t = g_1 (1 - d)^{t-1}`; :math:`z_t` standard normal, so the noise has mean 1.
* Survival of a chip of age :math:`a` (years since purchase) with lifetime :math:`L`:
  :math:`S(a) = \mathrm{clip}(L - a, 0, 1)`; integer lifetimes serve exactly L years.
* Purchases [units]: :math:`P_t = \max(0, D_t - \sum_{v<t} P_v S(t-v) - B\,S(t+1))`, where B is the
  fleet in service the year before the start (treated as bought then). This equals new demand plus
  replacement of retired chips; surplus fleet is kept, never sold.
* Vintage price [USD/unit]: :math:`p(v) = p_0 / (1 + g_p)^v`; vintage power [kW/unit]:
  :math:`k(v) = k_0 / (1 + g_k)^v`.
* Installed IT power [MW]: :math:`W_t = 10^{-3} \left(\sum_{v \le t} P_v k(v) S(t-v) + B k(-1) S(t+1)\right)`.
* Data-centre capacity [MW]: :math:`C_t = \max(C_{t-1}, W_t)`, :math:`C_{-1} = W_{-1}` (the
  fleet before the start); construction spend :math:`(C_t - C_{t-1})\,c_{MW}`.
* Energy [USD]: :math:`W_t \cdot 8760\,h \cdot u \cdot PUE \cdot p_{MWh}`.
* Operations [USD]: :math:`W_t \cdot c_{O\&M}` [USD per MW-year].
* Servers and networking [USD]: :math:`m \cdot` accelerator spend.
* NPV [USD, start-year]: :math:`\sum_t X_t / (1 + r)^t`.
"""

from __future__ import annotations

import numpy as np

HOURS_PER_YEAR = 8760.0


def demand_path(start: np.ndarray, growth: np.ndarray, decay: np.ndarray, noise_sd: np.ndarray,
                z: np.ndarray) -> np.ndarray:
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
    z : ndarray, shape (n, T)
        Standard-normal innovations; column 0 is ignored.

    Returns
    -------
    ndarray, shape (n, T)
        Demand ``D_t`` [compute units].
    """
    n_years = z.shape[1]
    t = np.arange(1, n_years)
    g = growth[:, None] * (1.0 - decay[:, None]) ** (t - 1)  # (n, T-1)
    sd = noise_sd[:, None]
    step = np.log1p(g) + sd * z[:, 1:] - 0.5 * sd**2
    log_d = np.empty((len(start), n_years))
    log_d[:, 0] = 0.0
    np.cumsum(step, axis=1, out=log_d[:, 1:])
    return start[:, None] * np.exp(log_d)


def trend(base: np.ndarray, gain: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """A quantity that improves by ``gain`` per year: ``base / (1 + gain) ** offset``.

    Parameters
    ----------
    base : ndarray, shape (n,)
        Value at offset 0 (the start year) [any unit].
    gain : ndarray, shape (n,)
        Yearly improvement [1/yr], e.g. price-performance gain.
    offsets : ndarray, shape (k,)
        Years since the start (may be negative).

    Returns
    -------
    ndarray, shape (n, k)
    """
    return base[:, None] * (1.0 + gain[:, None]) ** (-np.asarray(offsets, dtype=float))


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
    ndarray, shape (n, k)
        ``clip(L - age, 0, 1)``; zero for negative ages (not yet bought).
    """
    age = np.asarray(age, dtype=float)
    s = np.clip(lifetime[:, None] - age, 0.0, 1.0)
    return np.where(age < 0, 0.0, s)


def fleet_purchases(demand: np.ndarray, lifetime: np.ndarray, legacy_units: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Purchases that keep the fleet at demand, replacing chips that reach end of life.

    Parameters
    ----------
    demand : ndarray, shape (n, T)
        Required installed compute [compute units].
    lifetime : ndarray, shape (n,)
        Service life [yr].
    legacy_units : ndarray, shape (n, T)
        Pre-start fleet still in service each year [compute units] (:func:`legacy_in_service`).

    Returns
    -------
    purchases : ndarray, shape (n, T)
        Units bought each year [compute units].
    in_service : ndarray, shape (n, T, T)
        ``in_service[:, t, v]`` = units of vintage v in service in year t [compute units]
        (zero for v > t).
    """
    n, n_years = demand.shape
    years = np.arange(n_years)
    # age of vintage v in year t is t - v
    surv = survival(lifetime, (years[:, None] - years[None, :]).ravel()).reshape(n, n_years, n_years)
    purchases = np.zeros((n, n_years))
    for t in range(n_years):  # each year's purchase depends on the survivors of earlier ones
        alive = legacy_units[:, t] + np.einsum("nv,nv->n", purchases[:, :t], surv[:, t, :t])
        purchases[:, t] = np.maximum(demand[:, t] - alive, 0.0)
    return purchases, surv * purchases[:, None, :]


def legacy_in_service(before_start: np.ndarray, lifetime: np.ndarray, n_years: int) -> np.ndarray:
    """Units of the pre-start fleet still in service each year.

    Returns
    -------
    ndarray, shape (n, T) [compute units]
    """
    return before_start[:, None] * survival(lifetime, np.arange(n_years) + 1.0)


def installed_power_mw(in_service: np.ndarray, kw_per_unit: np.ndarray, legacy_units: np.ndarray,
                       legacy_kw_per_unit: np.ndarray) -> np.ndarray:
    """IT power of the fleet in service.

    Parameters
    ----------
    in_service : ndarray, shape (n, T, T)
        Units of vintage v in service in year t [compute units].
    kw_per_unit : ndarray, shape (n, T)
        Power of each vintage [kW/unit] (share-weighted over suppliers).
    legacy_units : ndarray, shape (n, T)
        Pre-start units in service [compute units].
    legacy_kw_per_unit : ndarray, shape (n,)
        Power of the pre-start fleet [kW/unit].

    Returns
    -------
    ndarray, shape (n, T)
        Installed IT power [MW].
    """
    kw = np.einsum("ntv,nv->nt", in_service, kw_per_unit) + legacy_units * legacy_kw_per_unit[:, None]
    return kw * 1e-3


def datacentre_build_mw(power_mw: np.ndarray, power_before_start_mw: np.ndarray) -> np.ndarray:
    """New data-centre capacity built each year: capacity only ever grows to the fleet's power.

    Parameters
    ----------
    power_mw : ndarray, shape (n, T)
        Installed IT power [MW].
    power_before_start_mw : ndarray, shape (n,)
        Capacity in place the year before the start [MW].

    Returns
    -------
    ndarray, shape (n, T)
        Capacity added each year [MW], non-negative.
    """
    capacity = np.maximum.accumulate(
        np.concatenate([power_before_start_mw[:, None], power_mw], axis=1), axis=1)
    return np.diff(capacity, axis=1)


def energy_cost(power_mw: np.ndarray, utilisation: np.ndarray, pue: np.ndarray,
                price_per_mwh: np.ndarray) -> np.ndarray:
    """Electricity bill: ``MW x 8760 h x utilisation x PUE x USD/MWh``.

    Parameters
    ----------
    power_mw : ndarray, shape (n, T)
        Installed IT power [MW].
    utilisation, pue, price_per_mwh : ndarray, shape (n,)
        Average load [-], power usage effectiveness [-], price [USD/MWh].

    Returns
    -------
    ndarray, shape (n, T) [USD/yr]
    """
    return power_mw * (HOURS_PER_YEAR * utilisation * pue * price_per_mwh)[:, None]


def discount_factors(rate: np.ndarray, n_years: int) -> np.ndarray:
    """``1 / (1 + r)^t`` for t = 0..T-1.

    Returns
    -------
    ndarray, shape (n, T) [-]
    """
    return (1.0 + rate[:, None]) ** -np.arange(n_years, dtype=float)


# -- sourcing: shocks, the in-house program and the allocation of orders -------------------------

def shock_active(starts: np.ndarray, duration: np.ndarray) -> np.ndarray:
    """Years in which a shock is active: an event starting in year s covers
    ``s .. s + ceil(duration) - 1``; overlapping events merge.

    Parameters
    ----------
    starts : ndarray, shape (n, T), bool
        Whether an event starts in each year.
    duration : ndarray, shape (n,)
        Duration of the events [yr], > 0.

    Returns
    -------
    ndarray, shape (n, T), bool
    """
    n_years = starts.shape[1]
    lasts = np.ceil(duration).astype(np.int64)
    active = np.zeros_like(starts, dtype=bool)
    for lag in range(min(n_years, int(lasts.max(initial=0)))):
        active[:, lag:] |= starts[:, : n_years - lag] & (lag < lasts)[:, None]
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
    fails : ndarray, shape (n, G), bool
        Whether each generation fails.
    n_years : int

    Returns
    -------
    ndarray, shape (n, T), in [0, 1]
    """
    t = np.arange(n_years, dtype=float)
    out = np.zeros((len(delay), n_years))
    for g in range(fails.shape[1]):
        s = first_volume_offset + delay[:, None] + g * generation_years  # (n, 1)
        overlap = np.clip(np.minimum(t + 1, s + generation_years) - np.maximum(t, s), 0.0, 1.0)
        out += overlap * ~fails[:, g : g + 1]
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
    ndarray, shape (n, T) [units/yr]
    """
    age = np.maximum(np.arange(n_years)[None, :] - volume_start[:, None], 0.0)
    return np.minimum(first_year[:, None] * (1.0 + growth[:, None]) ** age, ceiling[:, None])


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
    ndarray, shape (n, T) [USD]
    """
    t = np.arange(n_years)
    cost = np.where(t >= start_offset, 1.0, 0.0)[None, :] * team[:, None]
    design = start_offset + generation_years * np.arange(n_generations)
    for d in design[(design >= 0) & (design < n_years)]:
        cost[:, d] += nre
    return cost


def allocate(orders: np.ndarray, supply_fraction: np.ndarray, capacity: np.ndarray,
             fallback: int | None) -> np.ndarray:
    """Serve each supplier's orders within its limits; shortfalls go to the fallback supplier.

    Supplier j delivers ``min(order_j * supply_fraction_j, capacity_j)``. What the others cannot
    deliver is added to the fallback's order, which is then served within the fallback's own
    limits; what it cannot deliver is unmet.

    Parameters
    ----------
    orders : ndarray, shape (n, S)
        Units ordered from each supplier [units].
    supply_fraction : ndarray, shape (n, S)
        Share of an order a supplier can deliver (shocks) [-].
    capacity : ndarray, shape (n, S)
        Absolute limit on deliveries [units] (``inf`` for none).
    fallback : int or None
        Column of the fallback supplier.

    Returns
    -------
    ndarray, shape (n, S)
        Units delivered by each supplier [units]; never more than ordered in total.
    """
    delivered = np.minimum(orders * supply_fraction, capacity)
    if fallback is not None:
        short = (orders - delivered).sum(axis=1) - (orders[:, fallback] - delivered[:, fallback])
        order_f = orders[:, fallback] + short
        delivered[:, fallback] = np.minimum(order_f * supply_fraction[:, fallback],
                                            capacity[:, fallback])
    return delivered


def breakeven_year(cumulative_saving: np.ndarray, years: np.ndarray) -> np.ndarray:
    """First year from which a cumulative saving stays non-negative to the horizon's end.

    Parameters
    ----------
    cumulative_saving : ndarray, shape (n, T)
        Cumulative net saving [USD].
    years : ndarray, shape (T,)
        Calendar years.

    Returns
    -------
    ndarray, shape (n,)
        Calendar year; ``inf`` when still negative in the last year.
    """
    negative = cumulative_saving < 0
    # index of the last negative year, -1 if none
    last_negative = np.where(negative.any(axis=1),
                             negative.shape[1] - 1 - np.argmax(negative[:, ::-1], axis=1), -1)
    year = years[0] + last_negative + 1.0
    return np.where(last_negative == negative.shape[1] - 1, np.inf, year)
