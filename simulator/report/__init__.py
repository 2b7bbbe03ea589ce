"""Presenting results: number formatting, figures (ax in, ax out), the terminal summary, the
HTML report, the assumptions table and the writers."""
