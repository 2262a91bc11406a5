"""Benchmarks behind ``make bench``; see __main__.py."""
