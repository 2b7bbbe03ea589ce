"""The Results container, its metric registry and exact totals over every trial."""
