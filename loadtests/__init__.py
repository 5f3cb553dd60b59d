"""Load generator (`python -m loadtests`) and benchmarks that print figures with the core count."""
