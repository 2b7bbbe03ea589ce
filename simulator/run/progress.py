"""A progress bar for long runs (tqdm), or a stand-in that does nothing."""

from __future__ import annotations


class _NoBar:
    def update(self, _n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int, *, enabled: bool):
    """A tqdm bar on stderr, or a stand-in that does nothing (importing tqdm.auto inside a
    notebook warns about widgets, so it is imported only when a bar is wanted)."""
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    # disable=None: silent unless stderr is a terminal; delay: only runs longer than a second
    return tqdm(total=total, unit="chunk", desc="simulating", leave=False, disable=None,
                delay=1.0)
