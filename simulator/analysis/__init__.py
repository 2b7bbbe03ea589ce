"""Analysis of results: claims, convergence to a precision, sensitivity (tornado, rank
correlations, Sobol), what must be true, sweeps."""
