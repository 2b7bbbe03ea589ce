"""The claim a user wants to test, as data: ``cumulative_spend through 2030 >= 7T``.

A claim names a per-trial metric, an optional year, a comparator and a threshold (money strings
allowed). It is written in a scenario's ``claims:`` list, either as a mapping or as the one-line
text form, or given on the command line with ``--claim``. Evaluation lives in
:mod:`simulator.analysis.claims`.
"""

from __future__ import annotations

import operator
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from simulator.spec.quantities import parse_quantity

#: Metrics a claim can name, with what the optional year means for them.
CLAIM_METRICS = {
    "cumulative_spend": "spend from the start year through the year (default: the last) [USD]",
    "spend": "spend in the year (default: the last) [USD]",
    "npv": "present value of all spend over the horizon [USD] (no year)",
    "installed_gw": "IT power in service in the year (default: the last) [GW]",
    "dependence_share": "the dependence supplier's share of accelerator spend, in the year or "
                        "over the horizon [-]; also written <supplier>_share, e.g. nvidia_share",
    "unmet_demand": "share of required compute-years not in service over the horizon [-] "
                    "(no year)",
    "funding_gap": "the most that must be raised beyond committed funding, through the year "
                   "(default: the last) [USD]; needs a revenue section",
}
#: Comparators a claim may use, and what they compute.
OPERATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}

_TEXT = re.compile(
    r"^\s*(?P<metric>[a-z_]+)\s*(?:(?:through|in|by)\s+(?P<year>\d{4})\s*)?"
    r"(?P<op>>=|<=|>|<)\s*(?P<threshold>.+?)\s*$")


def parse_claim_text(text: str) -> dict[str, Any]:
    """Split ``"<metric> [through|in|by <year>] <op> <threshold>"`` into claim fields.

    Raises
    ------
    ValueError
        If the text does not have that form.
    """
    m = _TEXT.match(text)
    if m is None:
        raise ValueError(f"cannot read claim {text!r}; write '<metric> [through <year>] <op> "
                         "<threshold>', e.g. 'cumulative_spend through 2030 >= 7T'")
    out: dict[str, Any] = {"metric": m["metric"], "op": m["op"], "threshold": m["threshold"],
                           "name": " ".join(text.split())}
    if m["year"]:
        out["year"] = int(m["year"])
    return out


def _claim_input(value: Any) -> Any:
    return parse_claim_text(value) if isinstance(value, str) else value


class ClaimSpec(BaseModel):
    """A statement about a per-trial metric, evaluated per strategy as a probability."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(None, description="Label in tables; default: the text form.")
    metric: str = Field(description=f"One of {', '.join(CLAIM_METRICS)}.")
    year: int | None = Field(None, ge=1990, le=2200, description="Year the metric refers to.")
    op: Literal[">=", ">", "<=", "<"]
    threshold: Annotated[float, BeforeValidator(parse_quantity)]
    note: str | None = Field(None, description="Scope or context of the claim.")
    source: str | None = None

    @model_validator(mode="after")
    def _known_metric(self):
        base = self.base_metric
        if base not in CLAIM_METRICS:
            raise ValueError(f"unknown claim metric {self.metric!r}; choose one of "
                             f"{', '.join(CLAIM_METRICS)}")
        if base in ("npv", "unmet_demand") and self.year is not None:
            raise ValueError(f"{self.metric} covers the whole horizon; drop the year")
        return self

    def holds(self, values):
        """Whether the claim holds for each value (elementwise; NaN compares false)."""
        return OPERATORS[self.op](values, self.threshold)

    @property
    def base_metric(self) -> str:
        """The metric, with ``<supplier>_share`` written as ``dependence_share``."""
        return "dependence_share" if self.metric.endswith("_share") else self.metric

    @property
    def label(self) -> str:
        """The claim's name, or its text form."""
        if self.name:
            return self.name
        when = ""
        if self.year is not None:
            when = f" through {self.year}" if self.metric == "cumulative_spend" else f" in {self.year}"
        return f"{self.metric}{when} {self.op} {self.threshold:g}"


ClaimInput = Annotated[ClaimSpec, BeforeValidator(_claim_input)]
