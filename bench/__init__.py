"""Benchmarks of bulk-update against the usual alternatives (``python -m bench --help``)."""
