"""Collecting chunks: per-trial arrays, streaming histograms and exact run totals of a span of
trials, merged in chunk order so that a run's numbers do not depend on its workers."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulator.model.chunk import DTYPE, ChunkOutput, categories
from simulator.results.container import Results
from simulator.results.fields import TRIAL_FIELDS, trial_major, trial_slice
from simulator.results.totals import RunTotals
from simulator.run.pages import ordinary_pages
from simulator.sample.draws import Draws
from simulator.spec.scenario import Scenario
from simulator.stats.streaming import LogHistogram


def uniform_value(value: np.ndarray) -> np.ndarray | None:
    """The value every element of ``value`` holds, as a 0-d array, when it is zero or NaN
    (the same bits throughout), else None.

    Only these two: a sum, mean or extreme of copies of them is the same number whatever the
    order or layout in which it is read, so a field held as one such value broadcast gives
    every statistic an array of it would, to the last bit.
    """
    if not value.size:
        return None
    bits = value.view(np.int64 if value.dtype.itemsize == 8 else np.int32)
    first = value.flat[0]
    if bits.flat[0] == 0:
        return None if bits.any() else np.zeros((), dtype=value.dtype)
    if np.isnan(first) and (bits == bits.flat[0]).all():
        return np.array(first, dtype=value.dtype)
    return None


@dataclass(frozen=True)
class BlockSummary:
    """A block's histogram (non-empty bins only), per-chunk sums and per-chunk totals, and the
    fields it held as one value instead of writing them into the run's shared arrays (its kept
    trials are ``kept_from .. kept_from + kept_n`` of the run)."""

    bins: np.ndarray
    counts: np.ndarray
    n: int
    chunk_sums: dict[int, np.ndarray]
    chunk_totals: dict[int, RunTotals]
    uniform: dict[str, np.ndarray] = field(default_factory=dict)
    kept_from: int = 0
    kept_n: int = 0


class Accumulator:
    """Per-trial arrays, streaming histograms and run totals of a span of trials.

    A worker fills one for its block of chunks; the caller merges blocks into the run's.
    Per-trial arrays are kept only for run trials below ``keep_trials``; the totals
    (:class:`RunTotals`) and histograms cover every trial. Histogram sums and totals are kept
    per chunk and combined in chunk order at the end, so a run's numbers are the same bit for
    bit whatever the number of workers.
    """

    def __init__(self, scenario: Scenario, n: int, *, keep_spend: bool, offset: int = 0,
                 keep_trials: int | None = None, streaming: bool = True,
                 arrays: dict[str, np.ndarray] | None = None) -> None:
        self.scenario = scenario
        self.offset = offset
        self.cats = categories(scenario)
        keep_end = offset + n if keep_trials is None else min(offset + n, keep_trials)
        self.n_kept = max(0, keep_end - offset)
        self.histogram = LogHistogram(self.cells(scenario)) if streaming else None
        self.chunk_sums: dict[int, np.ndarray] = {}
        self.chunk_totals: dict[int, RunTotals] = {}
        self.uncertain = scenario.uncertain_paths()
        self._layout = self.layout(scenario, self.n_kept, keep_spend)
        #: fields held as one value for every trial stored so far (None: none stored yet),
        #: written into an array only when a chunk holds anything else (see ``_put``)
        self.uniform: dict[str, np.ndarray | None] = dict.fromkeys(TRIAL_FIELDS)
        #: blocks of a shared-memory run that held fields as one value: (start, trials, values)
        self.held: list[tuple[int, int, dict[str, np.ndarray]]] = []
        self.shared = arrays is not None
        if self.shared:
            # the whole run's arrays (shared memory): this span writes at its own offset
            self.write_at, self._arrays = offset, arrays
        else:
            self.write_at = 0
            self._arrays = self._own_arrays(self._layout)
        self.kept: dict[str, np.ndarray] = {}
        self.use_arrays(self._arrays)

    @staticmethod
    def _own_arrays(layout: dict[str, tuple[tuple[int, ...], type]]) -> dict[str, np.ndarray]:
        """The arrays of a span writing its own, on ordinary pages (:func:`ordinary_pages`);
        not those of the per-trial fields, made when first needed (see ``_put``)."""
        return {name: ordinary_pages(np.empty(shape, dtype=dtype))
                for name, (shape, dtype) in layout.items() if name not in TRIAL_FIELDS}

    def use_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Hold the run's per-trial arrays in ``arrays`` (those of the fields written so far,
        the category spend and the inputs)."""
        self._arrays = arrays
        self.kept = {name: arrays[name] for name in self.kept}
        self.spend = arrays.get("spend")
        self.inputs = {path: arrays[f"input:{path}"] for path in self.uncertain}

    @staticmethod
    def cells(scenario: Scenario) -> tuple[int, int, int]:
        """Cells of the category histogram: (strategy, category, year)."""
        return len(scenario.strategies), len(categories(scenario)), len(scenario.years)

    @staticmethod
    def layout(scenario: Scenario, n_kept: int, keep_spend: bool
               ) -> dict[str, tuple[tuple[int, ...], type]]:
        """Shape and dtype of every per-trial array for ``n_kept`` kept trials."""
        n_strat, n_years = len(scenario.strategies), len(scenario.years)
        sizes = {"s": n_strat, "n": n_kept, "t": n_years}
        out = {name: (tuple(sizes[a] for a in axes), dtype)
               for name, (dtype, axes) in TRIAL_FIELDS.items()}
        if keep_spend:
            out["spend"] = ((n_strat, n_kept, n_years, len(categories(scenario))), DTYPE)
        for path in scenario.uncertain_paths():
            out[f"input:{path}"] = ((n_kept,), np.float32)
        return out

    def _store(self, lo: int, m: int, draws: Draws, out: ChunkOutput) -> None:
        """Keep the first ``m`` trials of a chunk at position ``lo`` of this span."""
        lo += self.write_at
        for name in TRIAL_FIELDS:
            value = getattr(out, name)[..., :m]
            self._put(name, lo, m, trial_major(name, value), value)
        if self.spend is not None:
            self.spend[:, lo:lo + m] = out.spend[..., :m].transpose(0, 3, 2, 1)
        for path in self.uncertain:
            self.inputs[path][lo:lo + m] = draws.values[path][:m]

    def _put(self, name: str, lo: int, m: int, value: np.ndarray,
             engine: np.ndarray | None = None) -> None:
        """Write trials ``[lo, lo + m)`` of a field: ``value`` in Results' axis order (or one
        value for all of them, 0-d), ``engine`` the same in the engine's order (read faster).

        A field without an array yet stays one value while every chunk holds that value in
        every trial (zero or NaN, e.g. the in-house savings of a scenario without an in-house
        supplier): no memory is written for it; the first chunk holding anything else gives it
        its array (a shared one is the run's, filled over this span's trials so far; an own
        one is new, filled whole), filled with that value and then written."""
        if name in self.uniform:
            held = self.uniform[name]
            shape, dtype = self._layout[name]
            same = value if value.ndim == 0 else uniform_value(value if engine is None
                                                               else engine)
            if same is not None:
                same = same.astype(dtype)  # as the array would hold it
                if held is None or held.tobytes() == same.tobytes():
                    self.uniform[name] = same
                    return
            if self.shared:
                self.kept[name] = self._arrays[name]
                if held is not None:  # chunks are stored in order from the span's start
                    self.kept[name][trial_slice(name, slice(self.write_at, lo))] = held
            else:
                self.kept[name] = ordinary_pages(np.empty(shape, dtype=dtype))
                if held is not None:  # blocks may come in any order
                    self.kept[name][...] = held
            del self.uniform[name]
        self.kept[name][trial_slice(name, slice(lo, lo + m))] = value

    def add(self, k: int, lo: int, draws: Draws, out: ChunkOutput) -> None:
        """Fold in chunk k, whose trials start at position ``lo`` of this span."""
        n_chunk = draws.n_trials
        m = max(0, min(n_chunk, self.n_kept - lo))
        if m > 0:
            self._store(lo, m, draws, out)
        if self.histogram is None:
            return
        totals = RunTotals()
        totals.add(self.chunk_results(draws, out))
        self.chunk_totals[k] = totals
        self.chunk_sums[k] = self.histogram.add(out.spend, axis=3)  # cells (S, C, T)

    def chunk_results(self, draws: Draws, out: ChunkOutput) -> Results:
        """One chunk on its own as Results, so that its totals come from the same metrics code
        as a run's: views of the engine's arrays in Results' axis order (nothing is copied,
        and every chunk, kept or not, is summed the same way)."""
        return self._as_results(
            {name: trial_major(name, getattr(out, name)[...]) for name in TRIAL_FIELDS},
            {path: draws.values[path][...] for path in self.uncertain})

    def absorb(self, block: Accumulator | BlockSummary) -> None:
        """Fold in a worker's block: its summary, and its per-trial arrays unless the worker
        wrote them in place (shared memory)."""
        if isinstance(block, Accumulator):
            lo, m = block.offset - self.offset, block.n_kept
            for name in TRIAL_FIELDS:
                if name in block.kept:
                    self._put(name, lo, m, block.kept[name])
                elif block.uniform[name] is not None:
                    self._put(name, lo, m, block.uniform[name])
            if self.spend is not None:
                self.spend[:, lo:lo + m] = block.spend
            for path in self.uncertain:
                self.inputs[path][lo:lo + m] = block.inputs[path]
            block = block.summary()
        elif block.kept_n:
            self.held.append((block.kept_from - self.offset, block.kept_n, block.uniform))
        if self.histogram is not None:
            self.histogram.merge_counts(block.bins, block.counts, block.n)
        self.chunk_sums.update(block.chunk_sums)
        self.chunk_totals.update(block.chunk_totals)

    def summary(self) -> BlockSummary:
        """What a block contributes besides per-trial arrays, small enough to send back."""
        if self.histogram is None:
            return BlockSummary(bins=np.empty(0, dtype=np.intp), counts=np.empty(0, np.int32),
                                n=0, chunk_sums={}, chunk_totals={}, **self._held())
        bins, counts = self.histogram.nonempty()
        return BlockSummary(bins=bins, counts=counts, n=self.histogram.n,
                            chunk_sums=self.chunk_sums, chunk_totals=self.chunk_totals,
                            **self._held())

    def _held(self) -> dict:
        """The fields this span held as one value, and its kept trials (run positions)."""
        return {"uniform": {name: v for name, v in self.uniform.items() if v is not None},
                "kept_from": self.offset, "kept_n": self.n_kept}

    def results(self, prov: dict) -> Results:
        totals = None
        if self.histogram is not None:
            # sums and totals in chunk order: the same additions whatever the blocks were
            sums = np.zeros_like(self.histogram.sums)
            totals = RunTotals()
            for k in sorted(self.chunk_sums):
                sums += self.chunk_sums[k]
                totals.merge(self.chunk_totals[k])
            self.histogram.sums = sums
        kept = {name: self._field(name) for name in TRIAL_FIELDS}
        return self._as_results(kept, self.inputs, totals=totals, prov=prov,
                                histogram=self.histogram, spend=self.spend)

    def _field(self, name: str) -> np.ndarray:
        """A field of the run: its array, or a read-only view of the one value it held."""
        if name in self.kept:
            return self.kept[name]
        shape, dtype = self._layout[name]
        if self.held:  # shared memory: the workers' blocks wrote it or held it
            values = [held.get(name) for _, _, held in self.held]
            if all(v is not None and v.tobytes() == values[0].tobytes() for v in values):
                return np.broadcast_to(values[0], shape)
            for (lo, m, _), value in zip(self.held, values, strict=True):
                if value is not None:
                    self._arrays[name][trial_slice(name, slice(lo, lo + m))] = value
            return self._arrays[name]
        value = self.uniform[name]
        if value is not None:
            return np.broadcast_to(value, shape)
        return self._arrays[name] if self.shared else np.empty(shape, dtype=dtype)

    def _as_results(self, k: dict[str, np.ndarray], inputs: dict[str, np.ndarray], *,
                    totals: RunTotals | None = None, prov: dict | None = None,
                    histogram: LogHistogram | None = None,
                    spend: np.ndarray | None = None) -> Results:
        sc = self.scenario
        return Results(scenario=sc, strategies=tuple(sc.strategy_names), years=sc.years,
                       categories=tuple(self.cats), category_spend=histogram,
                       totals=totals, **k, inputs=inputs, provenance=prov or {},
                       spend=spend)
