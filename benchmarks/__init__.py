"""Benchmarks of the course engine against its peers: `python -m benchmarks` (`make bench`).

This package must not import numpy at import time: `python -m benchmarks` limits the BLAS to
one thread through environment variables, which only work when set before numpy is loaded.
"""
