"""Exceptions raised for bad scenario input.

Every problem with user input becomes a :class:`ScenarioError` that names the file, the line
(where the YAML parser knows it), the key path and the problem. The CLI prints it without a
traceback and exits with code 2; downstream code trusts a validated scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Issue:
    """One problem found in a scenario.

    Parameters
    ----------
    path : str
        Dotted key path of the offending value, e.g. ``"demand.growth.initial.high"``;
        empty for problems with the whole file.
    problem : str
        What is wrong, in words a scenario author understands.
    line : int or None
        1-based line in the file, when known.
    hint : str or None
        How to fix it, when there is an obvious fix.
    file : str or None
        The file the line refers to when it is not the scenario itself (a parent it extends).
    """

    path: str
    problem: str
    line: int | None = None
    hint: str | None = None
    file: str | None = None

    def format(self, source: str) -> str:
        source = self.file or source
        where = source if self.line is None else f"{source}:{self.line}"
        key = f" {self.path}:" if self.path else ""
        text = f"{where}:{key} {self.problem}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


@dataclass
class ScenarioError(Exception):
    """A scenario file or override could not be turned into a valid Scenario.

    Parameters
    ----------
    source : str
        The file name (or ``"<override>"``) the issues refer to.
    issues : list of Issue
        Every problem found, in file order where known.
    """

    source: str
    issues: list[Issue] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    def __str__(self) -> str:
        n = len(self.issues)
        head = f"invalid scenario {self.source} ({n} problem{'s' if n != 1 else ''}):"
        return "\n".join([head, *("  " + i.format(self.source) for i in self.issues)])


class NumericalError(ValueError):
    """The model produced a non-finite number (overflow or an invalid operation).

    Raised instead of letting NaN or infinity reach an output; the message names the trial,
    the output and the inputs of that trial furthest outside their fields' usual ranges, which are
    usually the cause (e.g. a growth rate that compounds past 1e308).
    """


def join_path(parent: str, key: object) -> str:
    """Join a key path: ``join_path("demand", "growth") == "demand.growth"``; list items use ``[i]``."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)
