"""Turn a Scenario into Draws: one value per trial for every input, plus yearly noise.

Design (see DESIGN.md): uniforms first, distributions second. Each input draws its own column of
uniforms U in [0, 1) from its own random stream and maps it through its distribution's ``ppf``.
The stream of an input is derived from the caller's generator and a hash of the input's key path,
so adding, removing or reordering inputs never changes the draws of the others, and the same
generator state gives the same numbers bit for bit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from simulator.scenario import Scenario

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
        (e.g. ``"suppliers.nvidia.price_per_unit"``), in the input's own unit.
    demand_noise : ndarray, shape (trial, year), float64
        Standard-normal innovations of the demand path; column 0 (the start year) is unused.
    shock_starts : dict of str to ndarray, each shape (trial, year), bool
        Per shock: whether an event starts in that year (only inside the shock's window).
    generation_fails : dict of str to ndarray, each shape (trial, generation), bool
        Per in-house supplier: whether each chip generation fails.
    """

    values: dict[str, np.ndarray]
    demand_noise: np.ndarray
    shock_starts: dict[str, np.ndarray]
    generation_fails: dict[str, np.ndarray]

    @property
    def n_trials(self) -> int:
        return self.demand_noise.shape[0]

    def __getitem__(self, key: str) -> np.ndarray:
        return self.values[key]


def sample(scenario: Scenario, n_trials: int, *, rng: np.random.Generator) -> Draws:
    """Draw every input of a scenario for ``n_trials`` trials.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    n_trials : int
        Number of trials to draw.
    rng : numpy.random.Generator
        Source of randomness; each input gets its own child stream (:func:`stream`).

    Returns
    -------
    Draws
    """
    values = {}
    n_years = len(scenario.years)
    for path, dist in scenario.uncertain_inputs():
        if dist.is_fixed:
            values[path] = np.full(n_trials, dist.value)
        else:
            values[path] = dist.ppf(stream(rng, path).random(n_trials))
    u = stream(rng, DEMAND_NOISE).random((n_trials, n_years))
    # random() can return exactly 0.0, where ndtri is -inf; nudge by half an ulp of the grid.
    noise = ndtri(np.maximum(u, 2.0**-54))

    years = scenario.years
    starts = {}
    for name, shock in scenario.shocks.items():
        u = stream(rng, f"~shocks.{name}.starts").random((n_trials, n_years))
        can_start = np.ones(n_years, dtype=bool) if shock.window is None else \
            (years >= shock.window.start) & (years <= shock.window.end)
        starts[name] = (u < values[f"shocks.{name}.annual_probability"][:, None]) & can_start
    fails = {}
    for name in scenario.inhouse_suppliers():
        program = scenario.suppliers[name].program
        n_gen = program.generations(int(years[-1]))
        u = stream(rng, f"~suppliers.{name}.generation_fails").random((n_trials, n_gen))
        fails[name] = u < values[f"suppliers.{name}.program.failure_probability"][:, None]
    return Draws(values=values, demand_noise=noise, shock_starts=starts, generation_fails=fails)
