"""Turn a Scenario into Draws: one value per trial for every input, plus yearly noise.

Uniforms first, distributions second: a sampling design (random, Latin hypercube or scrambled
Sobol) fills a matrix U in [0, 1)^(n x d) for the d uncertain inputs, rank correlations are
induced on it (Iman-Conover, which only reorders columns, so marginals are unchanged), and each
column is mapped through its distribution's ``ppf``. Under the random design each input draws
from its own stream, derived from the caller's generator and a hash of the input's key path, so
adding, removing or reordering inputs never changes the draws of the others. The same generator
state gives the same numbers bit for bit.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, replace

import numpy as np
from scipy.special import ndtri

from simulator.spec.scenario import Scenario
from simulator.spec.sections import DESIGNS
from simulator.stats.correlation import induce_rank_correlation

#: Key of the yearly demand-noise stream (not an input of the scenario, so not a key path).
DEMAND_NOISE = "~demand.growth.noise"


def _key_words(key: str) -> tuple[int, ...]:
    digest = hashlib.sha256(key.encode()).digest()
    return tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4))


def stream(rng: np.random.Generator, key: str) -> np.random.Generator:
    """A child generator of ``rng`` dedicated to ``key``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Parent generator; only its seed sequence is used, its state is not advanced.
    key : str
        Name of the consumer, normally an input's key path.

    Returns
    -------
    numpy.random.Generator
        Independent of the streams of other keys and reproducible from the parent's seed.
    """
    seq = rng.bit_generator.seed_seq
    child = np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, *_key_words(key)))
    return np.random.Generator(np.random.PCG64(child))


@dataclass(frozen=True)
class Draws:
    """Sampled inputs for a block of trials.

    Attributes
    ----------
    values : dict of str to ndarray, each shape (trial,), float64
        One value per trial for every numeric input, keyed by key path
        (e.g. ``"suppliers.nvidia.price_per_unit"``), in the input's own unit. A fixed input
        is its value broadcast to every trial (a read-only view, no memory per trial).
    demand_noise : ndarray, shape (trial, year), float64
        Standard-normal innovations of the demand path; column 0 (the start year) is unused.
        Zeros (a read-only view) when the noise's standard deviation is fixed at 0.
    shock_starts : dict of str to ndarray, each shape (trial, year), bool
        Per shock: whether an event starts in that year (only inside the shock's window).
    generation_fails : dict of str to ndarray, each shape (trial, generation), bool
        Per in-house supplier: whether each chip generation fails.
    raises_happen : list of ndarray, each shape (trial,), bool
        Per funding raise (in scenario order): whether it materialises in full.
    """

    values: dict[str, np.ndarray]
    demand_noise: np.ndarray
    shock_starts: dict[str, np.ndarray]
    generation_fails: dict[str, np.ndarray]
    raises_happen: list[np.ndarray]

    @property
    def n_trials(self) -> int:
        return self.demand_noise.shape[0]

    def __getitem__(self, key: str) -> np.ndarray:
        return self.values[key]

    def trials(self, lo: int, hi: int) -> Draws:
        """The draws of trials ``lo .. hi - 1`` (views, nothing copied)."""
        return Draws(values={k: v[lo:hi] for k, v in self.values.items()},
                     demand_noise=self.demand_noise[lo:hi],
                     shock_starts={k: v[lo:hi] for k, v in self.shock_starts.items()},
                     generation_fails={k: v[lo:hi] for k, v in self.generation_fails.items()},
                     raises_happen=[v[lo:hi] for v in self.raises_happen])

    def astype(self, dtype: type) -> Draws:
        """The same draws with input values and demand noise in ``dtype`` (events unchanged;
        a broadcast value stays a broadcast)."""
        return replace(self, values={k: _astype(v, dtype) for k, v in self.values.items()},
                       demand_noise=_astype(self.demand_noise, dtype))


def _astype(a: np.ndarray, dtype: type) -> np.ndarray:
    if a.size and not any(a.strides):  # one value broadcast: convert the value only
        return np.broadcast_to(a.flat[0].astype(dtype), a.shape)
    return a.astype(dtype, copy=False)


def _fixed(value: float, n_trials: int) -> np.ndarray:
    """A fixed input for every trial: one number, broadcast (what every trial reads)."""
    return np.broadcast_to(np.float64(value), (n_trials,))


def design_uniforms(scenario: Scenario, n_trials: int, *, rng: np.random.Generator,
                    design: str | None = None) -> np.ndarray:
    """Uniforms for the scenario's uncertain inputs under a sampling design, with the
    scenario's rank correlations induced.

    Parameters
    ----------
    scenario : Scenario
    n_trials : int
    rng : numpy.random.Generator
    design : {"random", "lhs", "sobol"}, optional
        Default: ``scenario.sampling.design``. ``random``: every input from its own stream (adding
        an input leaves the others' draws unchanged). ``lhs``: a Latin hypercube over all
        uncertain inputs (exactly one point per 1/n stratum of every input). ``sobol``: a
        scrambled Sobol sequence (balanced when ``n_trials`` is a power of two).

    Returns
    -------
    ndarray, shape (n_trials, d), in [0, 1)
        Columns in the order of :meth:`Scenario.uncertain_paths`.
    """
    design = design or scenario.sampling.design
    paths = scenario.uncertain_paths()
    d = len(paths)
    if design == "random":
        u = np.empty((n_trials, d), order="F")  # each input's column contiguous
        for j, path in enumerate(paths):
            u[:, j] = stream(rng, path).random(n_trials)
    elif design == "lhs":
        from scipy.stats import qmc  # only here: importing scipy.stats takes half a second

        u = qmc.LatinHypercube(d, rng=stream(rng, "~design.lhs")).random(n_trials) if d else \
            np.empty((n_trials, 0))
    elif design == "sobol":
        if d == 0:
            u = np.empty((n_trials, 0))
        else:
            from scipy.stats import qmc

            engine = qmc.Sobol(d, scramble=True, rng=stream(rng, "~design.sobol"))
            with warnings.catch_warnings():
                # a partial last chunk is not a power of two: still low-discrepancy, less balanced
                warnings.simplefilter("ignore", UserWarning)
                u = engine.random(n_trials)
    else:
        raise ValueError(f"unknown sampling design {design!r}; choose one of {DESIGNS}")
    correlated = scenario.correlation_target()
    if correlated is not None:
        columns, target = correlated
        idx = [paths.index(c) for c in columns]
        u[:, idx] = induce_rank_correlation(u[:, idx], target,
                                            rng=stream(rng, "~design.correlation"))
    return u


def draws_from_uniforms(scenario: Scenario, u: np.ndarray, *, rng: np.random.Generator | None,
                        central: bool = False) -> Draws:
    """Map design uniforms to input values and draw the yearly noise and events.

    Parameters
    ----------
    scenario : Scenario
    u : ndarray, shape (n, d)
        Uniforms for :meth:`Scenario.uncertain_paths`, in that order.
    rng : numpy.random.Generator or None
        Source of the demand noise, shock starts and generation failures (each from its own
        keyed stream; these are not part of the design). Unused when ``central``.
    central : bool
        Hold the yearly noise at zero and every discrete event at its median outcome instead
        (a shock starts, a chip generation fails or a raise materialises only where its
        probability exceeds 1/2).
        Sensitivity designs use this to evaluate a deterministic model of the inputs.

    Returns
    -------
    Draws
    """
    n_trials = u.shape[0]
    values = {}
    uncertain = iter(range(u.shape[1]))
    for path, dist in scenario.uncertain_inputs():
        values[path] = _fixed(dist.value, n_trials) if dist.is_fixed else \
            dist.ppf(u[:, next(uncertain)])
    if central:
        return _central(scenario, values, n_trials)
    n_years = len(scenario.years)
    years = scenario.years
    sd = scenario.demand.growth.noise_sd
    if sd.is_fixed and sd.value == 0:
        # no yearly noise: nothing to draw (the stream is the noise's own, so skipping it
        # leaves every other draw unchanged, and 0 x z = 0 leaves the demand path unchanged)
        noise = np.broadcast_to(np.float64(0.0), (n_trials, n_years))
    else:
        z = stream(rng, DEMAND_NOISE).random((n_trials, n_years))
        # random() can return exactly 0.0, where ndtri is -inf; nudge by half an ulp
        noise = ndtri(np.maximum(z, 2.0**-54))

    starts = {}
    for name, shock in scenario.shocks.items():
        e = stream(rng, f"~shocks.{name}.starts").random((n_trials, n_years))
        starts[name] = (e < values[f"shocks.{name}.annual_probability"][:, None]) \
            & _can_start(scenario, shock)
    fails = {}
    for name in scenario.inhouse_suppliers():
        program = scenario.suppliers[name].program
        n_gen = program.generations(int(years[-1]))
        e = stream(rng, f"~suppliers.{name}.generation_fails").random((n_trials, n_gen))
        fails[name] = (e < values[f"suppliers.{name}.program.failure_probability"][:, None]) \
            & _may_fail(scenario, program, n_gen)
    raises = [stream(rng, f"~funding.raises[{i}].happens").random(n_trials)
              < values[f"funding.raises[{i}].probability"]
              for i in range(len(scenario.funding.raises))]
    return Draws(values=values, demand_noise=noise, shock_starts=starts, generation_fails=fails,
                 raises_happen=raises)


def _can_start(scenario: Scenario, shock) -> np.ndarray:
    """Years in which a shock's events may start: its window (default all) after the observed
    years, shape (T,)."""
    years = scenario.years
    free = ~scenario.horizon.observed
    if shock.window is None:
        return free
    return free & (years >= shock.window.start) & (years <= shock.window.end)


def _may_fail(scenario: Scenario, program, n_gen: int) -> np.ndarray:
    """Generations that may still fail: those planned in volume after the observed years
    (one already shipping in an observed year is history), shape (G,)."""
    planned = program.first_volume_year + program.generation_years * np.arange(n_gen)
    last = scenario.horizon.observed_through
    return np.ones(n_gen, dtype=bool) if last is None else planned > last


def _central(scenario: Scenario, values: dict[str, np.ndarray], n_trials: int) -> Draws:
    """Draws with the yearly noise at zero and every event at its median outcome."""
    years = scenario.years
    starts = {}
    for name, shock in scenario.shocks.items():
        starts[name] = (values[f"shocks.{name}.annual_probability"][:, None] > 0.5) \
            & _can_start(scenario, shock)
    fails = {}
    for name in scenario.inhouse_suppliers():
        program = scenario.suppliers[name].program
        n_gen = program.generations(int(years[-1]))
        p = values[f"suppliers.{name}.program.failure_probability"]
        fails[name] = np.repeat((p > 0.5)[:, None], n_gen, axis=1) \
            & _may_fail(scenario, program, n_gen)
    raises = [values[f"funding.raises[{i}].probability"] > 0.5
              for i in range(len(scenario.funding.raises))]
    return Draws(values=values, demand_noise=np.zeros((n_trials, len(years))),
                 shock_starts=starts, generation_fails=fails, raises_happen=raises)


def sample(scenario: Scenario, n_trials: int, *, rng: np.random.Generator,
           design: str | None = None) -> Draws:
    """Draw every input of a scenario for ``n_trials`` trials.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    n_trials : int
        Number of trials to draw.
    rng : numpy.random.Generator
        Source of randomness; each consumer gets its own child stream (:func:`stream`).
    design : {"random", "lhs", "sobol"}, optional
        Sampling design of the per-trial inputs (default: the scenario's).

    Returns
    -------
    Draws
    """
    u = design_uniforms(scenario, n_trials, rng=rng, design=design)
    return draws_from_uniforms(scenario, u, rng=rng)
