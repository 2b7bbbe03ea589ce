r"""Sourcing equations as pure array functions: supply shocks, the in-house program (availability,
capacity, learning, cost, cancellation) and the allocation of orders to suppliers.

Shapes as in :mod:`simulator.model.cost_model`: trial axis last.

* Sourcing: the units needed are ordered from suppliers by the strategy's shares; supplier s
  delivers :math:`\min(o_s f_s, c_s)` with :math:`f_s` the share of orders a shock lets through
  and :math:`c_s` its capacity; what the others cannot deliver goes to the fallback supplier,
  and what it cannot deliver is unmet demand (:func:`allocate`).
* Capacity [units/yr]: what the foundry allocates in chips per year, ramping from its first
  year, times that year's compute per chip: :math:`c_t = \min(a_0 (1+g_a)^{age}, a_{max})
  \cdot q_0 (1 + g_q)^t` (:func:`capacity_path`), so a fixed allocation yields more compute
  every year.
* Vintage price [USD/unit]: :math:`p(v) = p_0 / (1 + g_p)^v` times shock multipliers; merchants'
  :math:`p_0` is their list price (or cost / (1 - margin)) times a shortage premium; an in-house
  chip's is its unit cost / (1 - performance penalty), times Wright's learning factor
  :math:`(\max(V/V_0, 1))^{\log_2 r}` on cumulative in-house volume V.
* In-house program [USD]: team cost every year from the program's start plus each generation's
  NRE in its design-start year, whether or not the chip ships, until the program is cancelled
  (:func:`cancellation_offset`): then the team stops after that year, later designs are never
  started, a one-off cancellation cost is paid, and no later generation ships.
"""

from __future__ import annotations

import numpy as np

from simulator.model.cost_model import powers


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
                         fails: np.ndarray, n_years: int, cancel: np.ndarray | None = None
                         ) -> np.ndarray:
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
    cancel : ndarray, shape (n,), optional
        Year offset of the program's cancellation (:func:`cancellation_offset`; ``inf``
        never): generations whose volume would start from it on are never made.

    Returns
    -------
    ndarray, shape (T, n), in [0, 1]
    """
    return availabilities(delay, first_volume_offset, generation_years, fails.shape[0],
                          n_years, [(fails, cancel)])[0]


def availabilities(delay: np.ndarray, first_volume_offset: float, generation_years: int,
                   n_generations: int, n_years: int,
                   outcomes: list[tuple[np.ndarray | None, np.ndarray | None]]
                   ) -> list[np.ndarray]:
    """:func:`inhouse_availability` for several outcomes of the same generations' windows,
    computed once.

    Parameters
    ----------
    outcomes : list of (fails, cancel)
        ``fails`` (G, n) bool or None (none fails), ``cancel`` (n,) or None (never).

    Returns
    -------
    list of ndarray, each shape (T, n)
        One per outcome, in [0, 1].
    """
    t = np.arange(n_years, dtype=delay.dtype)[:, None]
    outs = [np.zeros((n_years, len(delay)), dtype=delay.dtype) for _ in outcomes]
    for g in range(n_generations):
        s = first_volume_offset + delay + g * generation_years  # (n,)
        # only the years a window can overlap: elsewhere it adds 0 and changes nothing
        lo = max(int(np.floor(s.min())), 0)
        hi = min(int(np.ceil(s.max())) + generation_years, n_years)
        if lo >= hi:
            continue
        near = t[lo:hi]
        overlap = np.clip(np.minimum(near + 1, s + generation_years) - np.maximum(near, s),
                          0.0, 1.0)
        for out, (fails, cancel) in zip(outs, outcomes, strict=True):
            if fails is None:  # every generation ships: overlap x 1
                out[lo:hi] += overlap
                continue
            ships = ~fails[g] if cancel is None else ~fails[g] & (s < cancel)
            out[lo:hi] += overlap * ships
    return [np.minimum(out, 1.0) for out in outs]


def capacity_path(first_year: np.ndarray, growth: np.ndarray, ceiling: np.ndarray,
                  volume_start: np.ndarray, n_years: int, compute_per_chip: np.ndarray | None = None,
                  compute_growth: np.ndarray | None = None) -> np.ndarray:
    """Yearly capacity: the foundry's allocation in chips, ramping to a ceiling, times each
    year's compute per chip.

    ``min(ceiling, first_year * (1 + growth) ** max(0, t - s0)) * q0 * (1 + g_q) ** t``.

    Parameters
    ----------
    first_year : ndarray, shape (n,)
        Allocation in the first volume year [chips/yr].
    growth : ndarray, shape (n,)
        Yearly growth of the allocation [1/yr].
    ceiling : ndarray, shape (n,)
        Maximum allocation [chips/yr] (``inf`` for none).
    volume_start : ndarray, shape (n,)
        Offset of the first volume year from the start year [yr] (delay included).
    compute_per_chip : ndarray, shape (n,), optional
        Compute units per chip in the start year, q0 [units/chip]; default 1. Without
        ``compute_growth``: the whole path, :func:`compute_path`, shape (T, n).
    compute_growth : ndarray, shape (n,), optional
        Yearly growth of compute per chip, g_q [1/yr]; default 0.

    Returns
    -------
    ndarray, shape (T, n) [units/yr]
    """
    t = np.arange(n_years, dtype=volume_start.dtype)[:, None]
    age = np.maximum(t - volume_start, 0.0)
    chips = np.minimum(first_year * (1.0 + growth) ** age, ceiling)
    if compute_per_chip is None:
        return chips
    if compute_growth is not None:
        compute_per_chip = compute_path(compute_per_chip, compute_growth, n_years)
    return chips * compute_per_chip


def compute_path(compute_per_chip: np.ndarray, compute_growth: np.ndarray, n_years: int
                 ) -> np.ndarray:
    """Compute units per chip by year, ``q0 (1 + g_q) ** t`` [units/chip], shape (T, n): the
    factor :func:`capacity_path` applies, computed once when several ramps share it."""
    # repeated products, not a broadcast power: the same numbers whatever the chunk's size
    return compute_per_chip * powers(1.0 + compute_growth, n_years)


def wright_factor(cumulative: np.ndarray, reference: np.ndarray, learning_rate: np.ndarray,
                  *, exponent: np.ndarray | None = None) -> np.ndarray:
    """Wright's law: cost multiplier ``(max(V / V0, 1)) ** log2(rate)`` after cumulative volume V.

    Parameters
    ----------
    cumulative : ndarray, shape (n,)
        Units produced so far, V [units].
    reference : ndarray, shape (n,)
        Volume at which the start-year cost applies, V0 [units].
    learning_rate : ndarray, shape (n,)
        Progress ratio in (0, 1]: each doubling multiplies cost by it [-].
    exponent : ndarray, shape (n,), optional
        ``log2(learning_rate)``, when computed once for many years.

    Returns
    -------
    ndarray, shape (n,) [-], in (0, 1]
    """
    if exponent is None:
        exponent = np.log2(learning_rate)
    return np.maximum(cumulative / reference, 1.0) ** exponent


def learning_starts_at_one(reference: np.ndarray) -> bool:
    """Whether :func:`wright_factor` is exactly 1 before any unit is made: ``max(0 / V0, 1)
    ** e == 1`` for every positive ``V0`` (and any exponent), so a price times it is left as
    it is until the first unit ships."""
    return bool((reference > 0).all())


def cancellation_offset(fails: np.ndarray, delay: np.ndarray, first_volume_offset: float,
                        generation_years: int, after: int | None) -> np.ndarray:
    """Year in which a program is cancelled: when its ``after``-th failed generation shows,
    at that generation's volume start ``first_volume_offset + delay + g * generation_years``.

    Parameters
    ----------
    fails : ndarray, shape (G, n), bool
    delay : ndarray, shape (n,) [yr]
    first_volume_offset : float
        Planned first volume year minus the start year [yr].
    generation_years : int
    after : int or None
        Failed generations that stop the program; None: never.

    Returns
    -------
    ndarray, shape (n,)
        Year offset from the start year (``floor`` of the volume start) [yr]; ``inf`` never.
    """
    never = np.full(fails.shape[1], np.inf)
    if after is None:
        return never
    # generation by generation over contiguous rows (a cumulative sum or argmax along the
    # first axis steps through memory one strided element at a time)
    count = np.zeros(fails.shape[1], dtype=np.intp)
    g = np.zeros(fails.shape[1], dtype=np.intp)  # the first generation reaching ``after``
    reached = np.zeros(fails.shape[1], dtype=bool)
    for k, failed in enumerate(fails):
        count += failed
        now = count >= after
        now &= ~reached
        g[now] = k
        reached |= now
    start = np.floor(first_volume_offset + delay + g * generation_years)
    return np.where(reached, start, never)


def program_costs(nre: np.ndarray, team: np.ndarray, start_offset: int, generation_years: int,
                  n_generations: int, n_years: int, cancel: np.ndarray | None = None,
                  cancellation_cost: np.ndarray | None = None) -> np.ndarray:
    """In-house program spend: the team every year from the program's start, and each
    generation's NRE in its design-start year ``start_offset + g * generation_years``. Spend
    before the horizon is sunk and not counted.

    A cancelled program (``cancel``, a year offset) still pays what was committed: the team
    through the cancellation year, every design started by then, and ``cancellation_cost`` in
    that year; the team after it and designs not yet started stop.

    Parameters
    ----------
    nre : ndarray, shape (n,)
        Design cost per generation [USD].
    team : ndarray, shape (n,)
        Team cost [USD/yr].
    start_offset : int
        Program start year minus the horizon's start year [yr] (may be negative).
    cancel : ndarray, shape (n,), optional
        Cancellation year offset (``inf``: never) [yr].
    cancellation_cost : ndarray, shape (n,), optional
        One-off cost of stopping [USD].

    Returns
    -------
    ndarray, shape (T, n) [USD]
    """
    t = np.arange(n_years)[:, None]
    live = np.broadcast_to(t >= start_offset, (n_years, len(team)))
    if cancel is not None:
        live = live & (t <= cancel)
    cost = live * team
    design = start_offset + generation_years * np.arange(n_generations)
    for d in design[(design >= 0) & (design < n_years)]:
        cost[d] += nre if cancel is None else np.where(d <= cancel, nre, 0.0)
    if cancel is not None and cancellation_cost is not None:
        cost += np.where(t == cancel, cancellation_cost, 0.0)
    return cost.astype(team.dtype)


def shortfall_causes(orders: np.ndarray, fraction: np.ndarray, delivered: np.ndarray,
                     cap_planned: np.ndarray, cap_no_failure: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Why a supplier delivered less than ordered: failure, delay, or cap, in that order.

    Failure: what the capacity without failures (delay included) would have delivered beyond
    the actual; delay: what the planned capacity (no delay, no failure) would have delivered
    beyond that; cap: the rest (the planned ramp and ceiling, and shocks' supply cuts).

    Parameters
    ----------
    orders, fraction, delivered, cap_planned, cap_no_failure : ndarray, shape (T, n)
        Units ordered [units], deliverable share [-], units delivered [units], and capacity
        as planned and without failures [units/yr].

    Returns
    -------
    cap, delay, failure : ndarray, shape (T, n) [units], non-negative, summing to
        ``orders - delivered``.
    """
    reachable = orders * fraction
    no_failure = np.maximum(np.minimum(reachable, cap_no_failure), delivered)
    planned = np.maximum(np.minimum(reachable, cap_planned), no_failure)
    return orders - planned, planned - no_failure, no_failure - delivered


def allocate(orders: np.ndarray, supply_fraction: np.ndarray | None,
             capacity: np.ndarray | None, fallback: int | None,
             out: np.ndarray | None = None) -> np.ndarray:
    """Serve each supplier's orders within its limits; shortfalls go to the fallback supplier.

    Supplier j delivers ``min(order_j * supply_fraction_j, capacity_j)``. What the others cannot
    deliver is added to the fallback's order, which is then served within the fallback's own
    limits; what it cannot deliver is unmet.

    Parameters
    ----------
    orders : ndarray, shape (S, n)
        Units ordered from each supplier [units].
    supply_fraction : ndarray, shape (S, n), or None
        Share of an order a supplier can deliver (shocks) [-]; None: every order.
    capacity : ndarray, shape (S, n), or None
        Absolute limit on deliveries [units] (``inf`` for none); None: no limit.
    fallback : int or None
        Row of the fallback supplier.
    out : ndarray, shape (S, n), optional
        Where to write the deliveries (e.g. a year's slice of the engine's array).

    Returns
    -------
    ndarray, shape (S, n)
        Units delivered by each supplier [units]; never more than ordered in total.
    """
    if supply_fraction is None:  # orders * 1 == orders
        delivered = orders.copy() if out is None else out
        if out is not None:
            out[...] = orders
    else:
        delivered = np.multiply(orders, supply_fraction, out=out)
    if capacity is not None:
        np.minimum(delivered, capacity, out=delivered)
    if fallback is not None:
        missing = orders - delivered
        short = missing.sum(axis=0)
        short -= missing[fallback]
        order_f = np.add(orders[fallback], short, out=short)
        if supply_fraction is None:
            delivered[fallback] = order_f
        else:
            np.multiply(order_f, supply_fraction[fallback], out=delivered[fallback])
        if capacity is not None:
            np.minimum(delivered[fallback], capacity[fallback], out=delivered[fallback])
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
    # index of the last negative year, -1 if none (a maximum over contiguous year rows)
    last_negative = (negative * np.arange(1, n_years + 1)[:, None]).max(axis=0, initial=0) - 1
    year = years[0] + last_negative + 1.0
    return np.where(last_negative == n_years - 1, np.inf, year)
