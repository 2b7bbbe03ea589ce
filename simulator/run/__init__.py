"""Running a scenario: the run plan, chunks, accumulation of streaming totals, the local
process pool and Dask backends, progress."""
