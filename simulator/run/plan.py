"""What a run computes: the plan every backend and worker reproduces chunk by chunk."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from simulator.sample.draws import Draws, draws_from_uniforms, sample
from simulator.spec.scenario import Scenario

#: Runs with fewer chunks than this stay in one process by default: starting a pool costs
#: about half a second.
PARALLEL_MIN_CHUNKS = 8

#: Per-trial arrays are kept for at most this many trials by default (about 0.75 GB for the
#: base scenario's five strategies); beyond, statistics stream (see :func:`simulate`).
KEEP_TRIALS = 500_000

#: Default number of trials per chunk: big enough to amortise NumPy overhead (larger chunks
#: are no faster), small enough that a chunk's temporaries stay well under 150 MB.
CHUNK_SIZE = 16_384


def chunk_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of chunk ``index``: ``SeedSequence(seed, spawn_key=(index,))``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index,))))


@dataclass(frozen=True)
class RunPlan:
    """What a run computes: everything a worker needs to reproduce any chunk on its own."""

    scenario: Scenario
    trials: int
    seed: int
    design: str | None
    chunk_size: int
    keep_spend: bool
    keep_trials: int | None = None
    #: a caller's design (:func:`evaluate_design`): rows ``first_row ..`` of the run's uniforms
    uniforms: np.ndarray | None = None
    first_row: int = 0
    central: bool = False
    #: category histograms and run totals (off for designs: callers read per-trial arrays)
    streaming: bool = True

    @property
    def n_kept(self) -> int:
        """Trials whose per-trial arrays the run keeps."""
        return self.trials if self.keep_trials is None else min(self.trials, self.keep_trials)

    @property
    def n_chunks(self) -> int:
        """Chunks in the run (the last may be short)."""
        return -(-self.trials // self.chunk_size)

    def chunk_bounds(self, k: int) -> tuple[int, int]:
        """Trials ``[lo, hi)`` of chunk k."""
        lo = k * self.chunk_size
        return lo, min(lo + self.chunk_size, self.trials)

    def _design_rows(self, lo: int, hi: int) -> np.ndarray:
        """Rows of the given design for run trials ``[lo, hi)``."""
        return self.uniforms[lo - self.first_row:hi - self.first_row]

    def for_chunks(self, chunks: range) -> RunPlan:
        """The plan a worker needs for ``chunks``: a given design is cut to their rows, so
        that each worker receives only its own."""
        if self.uniforms is None:
            return self
        lo, hi = self.chunk_bounds(chunks.start)[0], self.chunk_bounds(chunks.stop - 1)[1]
        return replace(self, uniforms=self._design_rows(lo, hi), first_row=lo)

    def draws(self, k: int) -> Draws:
        """The inputs of chunk k: sampled from its own stream, or mapped from the design."""
        lo, hi = self.chunk_bounds(k)
        rng = chunk_rng(self.seed, k)
        if self.uniforms is None:
            return sample(self.scenario, hi - lo, rng=rng, design=self.design)
        return draws_from_uniforms(self.scenario, self._design_rows(lo, hi),
                                   rng=None if self.central else rng, central=self.central)
