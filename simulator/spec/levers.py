"""Levers, objectives and constraints: the ``levers:`` section of a scenario, as data.

A lever is a named parameter of a strategy template with a range, e.g. the in-house chip's
share of purchases and the year it is reached. A lever setting (one value per lever) is a
strategy; :mod:`simulator.analysis.lever_evaluation` evaluates many settings on the same draws. Objectives and
constraints are statistics of the run's per-trial metrics (the claim metrics of
:mod:`simulator.claim_spec`), written as text::

    mean npv                         # objectives are minimised
    cvar95 cumulative_spend through 2030
    mean nvidia_share in 2030
    P(unmet_demand > 0.05) <= 0.1    # a constraint: a statistic, a comparator, a bound
"""

from __future__ import annotations

import re
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simulator.spec.claim_spec import CLAIM_METRICS, OPERATORS, ClaimSpec, parse_claim_text
from simulator.spec.quantities import parse_quantity

#: Kinds of lever and what the value means.
LEVER_KINDS = {
    "share": "a supplier's share of purchases, reached in the target year [-]",
    "target_year": "the year the lever shares are reached; they move linearly from the "
                   "template's starting mix in ramp_from [calendar year]",
    "lease_share": "share of each year's new capacity rented from cloud providers [-]",
    "program_start": "first year of an in-house program's spending; its planned first "
                     "volume year moves with it [calendar year]",
}
#: Lever kinds whose values are calendar years (whole numbers).
YEAR_KINDS = ("target_year", "program_start")
#: Grid points of a share or lease lever without a ``step``.
DEFAULT_POINTS = 5


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Lever(_Model):
    """One lever: a kind, the supplier it acts on (shares, program start) and a range."""

    kind: Literal["share", "target_year", "lease_share", "program_start"] = Field(
        description="What the lever sets: " + "; ".join(f"{k}: {v}" for k, v in
                                                         LEVER_KINDS.items()))
    supplier: str | None = Field(None, description="Supplier the lever acts on (share: any "
                                 "supplier but the template's remainder; program_start: an "
                                 "in-house supplier).")
    low: float = Field(description="Smallest value [share or calendar year].")
    high: float = Field(description="Largest value [share or calendar year].")
    step: float | None = Field(None, gt=0, description="Spacing of the grid [share or years]; "
                               f"default 1 year for years, {DEFAULT_POINTS} points for shares.")
    description: str | None = None
    source: str | None = None

    @field_validator("low", "high", "step", mode="before")
    @classmethod
    def _quantity(cls, value: Any) -> Any:
        return None if value is None else parse_quantity(value)

    @model_validator(mode="after")
    def _consistent(self):
        if self.high < self.low:
            raise ValueError(f"high {self.high:g} is below low {self.low:g}")
        if self.kind in YEAR_KINDS:
            for name in ("low", "high", "step"):
                value = getattr(self, name)
                if value is not None and value != int(value):
                    raise ValueError(f"{name} of a {self.kind} lever is a whole number of "
                                     f"years, got {value:g}")
            if not 1990 <= self.low <= self.high <= 2200:
                raise ValueError(f"years must lie in 1990-2200, got {self.low:g}-{self.high:g}")
        elif not 0 <= self.low <= self.high <= 1:
            raise ValueError(f"a {self.kind} lever's range must lie in [0, 1], got "
                             f"[{self.low:g}, {self.high:g}]")
        if self.kind in ("share", "program_start") and self.supplier is None:
            raise ValueError(f"a {self.kind} lever needs 'supplier'")
        if self.kind in ("target_year", "lease_share") and self.supplier is not None:
            raise ValueError(f"a {self.kind} lever acts on no one supplier; drop 'supplier'")
        return self

    @property
    def integer(self) -> bool:
        return self.kind in YEAR_KINDS

    def grid(self) -> np.ndarray:
        """The lever's grid values, low to high inclusive, shape (points,)."""
        if self.low == self.high:
            return np.array([self.low])
        step = self.step if self.step is not None else (1.0 if self.integer else
                                                        (self.high - self.low)
                                                        / (DEFAULT_POINTS - 1))
        values = np.arange(self.low, self.high + step * 1e-9, step)
        if values[-1] < self.high - step * 1e-9:
            values = np.append(values, self.high)
        return np.round(values, 10)

    def snap(self, u: np.ndarray) -> np.ndarray:
        """Map uniforms in [0, 1) onto the lever's grid values (equal probability each)."""
        grid = self.grid()
        return grid[np.minimum((np.asarray(u) * len(grid)).astype(int), len(grid) - 1)]


class Template(_Model):
    """The strategy every lever setting fills in.

    Before ``ramp_from`` (and in it) purchases follow ``start_shares`` (default: all from the
    remainder supplier); from there each supplier's share moves linearly to its value in the
    target year and stays there. The remainder supplier takes whatever the other suppliers'
    shares leave; settings whose shares add up to more than 1 are not strategies and are skipped.
    """

    description: str | None = None
    remainder: str = Field(description="Merchant supplier taking the share the levers leave "
                           "(e.g. nvidia).")
    fallback: str | None = Field(None, description="Supplier serving what the others cannot "
                                 "(needed when an in-house supplier may get a share).")
    ramp_from: int = Field(ge=1990, le=2200, description="Last year of the starting mix; shares "
                           "move linearly from it to the target year.")
    target_year: int | None = Field(None, ge=1990, le=2200, description="Year the shares are "
                                    "reached, unless a target_year lever sets it.")
    start_shares: dict[str, float] | None = Field(None, description="Mix up to ramp_from "
                                                  "(default: all from the remainder).")
    shares: dict[str, float] = Field(default_factory=dict, description="Fixed target shares of "
                                     "suppliers that have no lever [-].")
    lease_share: float = Field(0.0, ge=0, le=1, description="[-] share of new capacity rented, "
                               "unless a lease_share lever sets it.")

    @field_validator("start_shares", "shares", mode="before")
    @classmethod
    def _parse_shares(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: parse_quantity(v) for k, v in value.items()}
        return value

    @field_validator("lease_share", mode="before")
    @classmethod
    def _parse_lease(cls, value: Any) -> Any:
        return parse_quantity(value)

    @model_validator(mode="after")
    def _valid_shares(self):
        for name in ("start_shares", "shares"):
            row = getattr(self, name) or {}
            for supplier, value in row.items():
                if not 0 <= value <= 1:
                    raise ValueError(f"{name}.{supplier}: share {value:g} is outside [0, 1]")
        if self.start_shares is not None and abs(sum(self.start_shares.values()) - 1) > 1e-6:
            raise ValueError(f"start_shares sum to {sum(self.start_shares.values()):.6g}, not 1")
        if sum(self.shares.values()) > 1 + 1e-9:
            raise ValueError("shares add up to more than 1")
        return self


STAT = re.compile(r"^\s*(?P<stat>mean|median|p\d{1,2}(?:\.\d+)?|cvar\d{1,2}(?:\.\d+)?)\s+"
                  r"(?P<metric>[a-z_]+)\s*(?:(?:through|in|by)\s+(?P<year>\d{4}))?\s*$")
PROB = re.compile(r"^\s*P\((?P<claim>.+)\)\s*$")
CONSTRAINT = re.compile(r"^\s*(?P<lhs>.+?)\s*(?P<op>>=|<=|>|<)\s*(?P<bound>[^<>=()]+?)\s*$")
#: Metrics that are better when higher cannot be minimised as objectives.
HIGHER_IS_BETTER = ("installed_gw",)


class Statistic(BaseModel):
    """A statistic of a per-trial metric: ``mean npv``, ``p95 cumulative_spend through 2030``,
    ``cvar95 npv`` (mean of the worst 5%), ``P(unmet_demand > 0.05)``.

    Attributes
    ----------
    text : str
        As written (normalised spaces).
    stat : str
        ``mean``, ``median``, ``p<q>``, ``cvar<q>`` or ``probability``.
    level : float or None
        q / 100 for percentiles and CVaR.
    metric : ClaimSpec
        The metric and year (for ``probability``: the whole event, op and threshold included).
    """

    model_config = ConfigDict(frozen=True)

    text: str
    stat: str
    level: float | None
    metric: ClaimSpec

    @property
    def event(self) -> bool:
        return self.stat == "probability"

    @property
    def unit(self) -> str:
        if self.event:
            return "probability"
        base = self.metric.base_metric
        return {"installed_gw": "GW", "dependence_share": "fraction",
                "unmet_demand": "fraction"}.get(base, "USD")


def parse_statistic(text: str) -> Statistic:
    """Read a statistic's text form.

    Raises
    ------
    ValueError
        Naming the problem, with the accepted forms.
    """
    text = " ".join(str(text).split())
    m = PROB.match(text)
    if m is not None:
        claim = ClaimSpec.model_validate(parse_claim_text(m["claim"]))
        return Statistic(text=text, stat="probability", level=None, metric=claim)
    m = STAT.match(text)
    if m is None:
        raise ValueError(f"cannot read {text!r}; write '<mean|median|pNN|cvarNN> <metric> "
                         "[through|in <year>]' or 'P(<metric> [in <year>] <op> <value>)', e.g. "
                         "'cvar95 npv' or 'P(unmet_demand > 0.05)'")
    stat = m["stat"]
    level = None
    if stat.startswith(("p", "cvar")):
        level = float(stat.removeprefix("cvar").removeprefix("p")) / 100
        if not 0 < level < 1:
            raise ValueError(f"{stat}: the level must lie strictly between 0 and 100")
    if m["metric"] not in CLAIM_METRICS and not m["metric"].endswith("_share"):
        raise ValueError(f"unknown metric {m['metric']!r}; choose one of "
                         f"{', '.join(CLAIM_METRICS)}")
    # a claim's metric and year name the per-trial values; its comparison is unused here
    claim = ClaimSpec(metric=m["metric"], year=None if m["year"] is None else int(m["year"]),
                      op=">=", threshold=0.0)
    return Statistic(text=text, stat=stat, level=level, metric=claim)


class Constraint(BaseModel):
    """``<statistic> <op> <bound>``, e.g. ``P(unmet_demand > 0.05) <= 0.1``."""

    model_config = ConfigDict(frozen=True)

    text: str
    statistic: Statistic
    op: str
    bound: float

    def met(self, value: np.ndarray) -> np.ndarray:
        """Whether the statistic's value meets the bound (elementwise)."""
        return OPERATORS[self.op](value, self.bound)

    def trial_ok(self, values: np.ndarray) -> np.ndarray:
        """Per trial, whether the trial is on the acceptable side (for satisficing): the event
        does not happen for ``P(...) <= b`` (b < 1) and happens for ``P(...) >= b``; for other
        statistics, the trial's own value meets the bound."""
        if self.statistic.event:
            holds = self.statistic.metric.holds(values)
            return ~holds if self.op in ("<=", "<") else holds
        return OPERATORS[self.op](values, self.bound)


def parse_constraint(text: str) -> Constraint:
    """Read ``<statistic> <op> <bound>``.

    Raises
    ------
    ValueError
    """
    text = " ".join(str(text).split())
    m = CONSTRAINT.match(text)
    if m is None:
        raise ValueError(f"cannot read constraint {text!r}; write '<statistic> <op> <bound>', "
                         "e.g. 'P(unmet_demand > 0.05) <= 0.1' or 'mean funding_gap through "
                         "2030 <= 300B'")
    statistic = parse_statistic(m["lhs"])
    return Constraint(text=text, statistic=statistic, op=m["op"],
                      bound=parse_quantity(m["bound"]))


#: Objectives when a scenario names none: cost, dependence and tail cost.
DEFAULT_OBJECTIVES = ("mean npv", "mean dependence_share", "cvar95 npv")


class Levers(_Model):
    """The ``levers:`` section: a strategy template, the levers that vary it, and what the
    search minimises under which constraints."""

    template: Template
    vary: dict[str, Lever] = Field(min_length=1, description="Levers by name.")
    objectives: list[str] = Field(default_factory=lambda: list(DEFAULT_OBJECTIVES),
                                  description="Statistics to minimise; the first is the cost "
                                  "whose regret is reported, e.g. 'mean npv', 'cvar95 npv', "
                                  "'mean nvidia_share in 2030'.")
    constraints: list[str] = Field(default_factory=list, description="Statistics with bounds, "
                                   "e.g. 'P(unmet_demand > 0.05) <= 0.1'.")

    @field_validator("objectives")
    @classmethod
    def _objectives(cls, values: list[str]) -> list[str]:
        if not values:
            raise ValueError("give at least one objective, e.g. 'mean npv'")
        for k, text in enumerate(values):
            try:
                stat = parse_statistic(text)
            except ValueError as exc:
                raise ValueError(f"objectives[{k}]: {exc}") from None
            if stat.metric.base_metric in HIGHER_IS_BETTER:
                raise ValueError(f"objectives[{k}]: {stat.metric.metric} is better when higher; "
                                 "objectives are minimised (use it in a constraint)")
        return values

    @field_validator("constraints")
    @classmethod
    def _constraints(cls, values: list[str]) -> list[str]:
        for k, text in enumerate(values):
            try:
                parse_constraint(text)
            except ValueError as exc:
                raise ValueError(f"constraints[{k}]: {exc}") from None
        return values

    @model_validator(mode="after")
    def _one_of_each(self):
        kinds = [lever.kind for lever in self.vary.values()]
        for kind in ("target_year", "lease_share"):
            if kinds.count(kind) > 1:
                raise ValueError(f"vary: at most one {kind} lever")
        shared = [lever.supplier for lever in self.vary.values() if lever.kind == "share"]
        dup = {s for s in shared if shared.count(s) > 1}
        if dup:
            raise ValueError(f"vary: two share levers act on {sorted(dup)[0]!r}")
        if "target_year" not in kinds and self.template.target_year is None:
            raise ValueError("template.target_year is required without a target_year lever")
        target_low = min([lv.low for lv in self.vary.values() if lv.kind == "target_year"]
                         or [self.template.target_year])
        if target_low <= self.template.ramp_from:
            raise ValueError(f"the target year ({target_low:g} at the earliest) must come after "
                             f"template.ramp_from ({self.template.ramp_from})")
        return self

    def statistics(self) -> tuple[list[Statistic], list[Constraint]]:
        """The parsed objectives and constraints."""
        return ([parse_statistic(t) for t in self.objectives],
                [parse_constraint(t) for t in self.constraints])


def check_lever_references(scenario: Any) -> None:
    """Checks that need the whole scenario: suppliers exist and fit the lever's kind.

    Raises
    ------
    ValueError
        Naming the key path under ``levers``.
    """
    levers = scenario.levers
    if levers is None:
        return
    suppliers = scenario.suppliers
    known = sorted(suppliers)
    t = levers.template

    def need(name: str | None, where: str) -> None:
        if name is not None and name not in suppliers:
            raise ValueError(f"levers.{where}: unknown supplier {name!r}; suppliers are {known}")

    need(t.remainder, "template.remainder")
    if suppliers[t.remainder].kind != "merchant":
        raise ValueError("levers.template.remainder: must be a merchant supplier")
    need(t.fallback, "template.fallback")
    if t.fallback is not None and suppliers[t.fallback].kind != "merchant":
        raise ValueError("levers.template.fallback: must be a merchant supplier")
    for name in [*(t.start_shares or {}), *t.shares]:
        need(name, "template.shares")
    for name, lever in levers.vary.items():
        need(lever.supplier, f"vary.{name}.supplier")
        if lever.kind == "share" and lever.supplier == t.remainder:
            raise ValueError(f"levers.vary.{name}.supplier: {lever.supplier!r} is the template's "
                             "remainder, which takes what the other shares leave")
        if lever.kind == "share" and lever.supplier in t.shares:
            raise ValueError(f"levers.vary.{name}.supplier: {lever.supplier!r} also has a fixed "
                             "share in template.shares")
        if lever.kind == "program_start" and suppliers[lever.supplier].kind != "inhouse":
            raise ValueError(f"levers.vary.{name}.supplier: {lever.supplier!r} is not an "
                             "in-house supplier")
        if lever.kind == "share" and suppliers[lever.supplier].kind == "inhouse" \
                and t.fallback is None:
            raise ValueError(f"levers.template.fallback: lever {name!r} gives in-house supplier "
                             f"{lever.supplier!r} a share, which needs a fallback merchant")
        if lever.kind == "lease_share" and scenario.leasing is None:
            raise ValueError(f"levers.vary.{name}: leasing needs a 'leasing' section")
    if t.lease_share > 0 and scenario.leasing is None:
        raise ValueError("levers.template.lease_share: leasing needs a 'leasing' section")
    objectives, constraints = levers.statistics()
    dep = scenario.dependence_supplier
    start, end = scenario.horizon.start, scenario.horizon.end
    texts = [(f"objectives[{k}]", s) for k, s in enumerate(objectives)] \
        + [(f"constraints[{k}]", c.statistic) for k, c in enumerate(constraints)]
    for where, stat in texts:
        claim = stat.metric
        if claim.base_metric == "dependence_share" and claim.metric not in (
                "dependence_share", f"{dep}_share"):
            raise ValueError(f"levers.{where}: {claim.metric!r} is not a metric; the dependence "
                             f"share is '{dep}_share'")
        if claim.year is not None and not start <= claim.year <= end:
            raise ValueError(f"levers.{where}: year {claim.year} is outside the horizon "
                             f"{start}-{end}")
        if claim.base_metric == "funding_gap" and scenario.revenue is None:
            raise ValueError(f"levers.{where}: funding_gap needs a 'revenue' section")
