"""Benchmarks that print figures with the machine's core count; run each with `python -m`."""
