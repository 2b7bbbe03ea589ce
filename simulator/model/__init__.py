"""The cost model: pure array equations (cost_model) and one chunk of trials for every
strategy on the same draws (chunk)."""
