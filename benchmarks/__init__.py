"""somwidget benchmarks: ``python -m benchmarks`` (or ``./dev.sh bench``) prints speed ratios."""
