"""Scenario -> Draws: sampling designs (random, Latin hypercube, Sobol), per-input random
streams, rank correlations, yearly paths and events."""
