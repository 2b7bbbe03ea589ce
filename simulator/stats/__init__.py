"""Pure numerical tools the rest of the package builds on: Monte Carlo errors, mergeable
streaming statistics, rank correlations, PRIM peeling. Nothing here imports the package."""
