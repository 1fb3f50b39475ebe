"""Benchmarks: ``python -m bench`` runs every ``bench/bench_*.py`` and appends to RESULTS.md.

Each benchmark module exposes ``run() -> Report`` (or a plain ``list[Row]``); shared
timing, memory, table and results code lives in :mod:`bench.common`.
"""
