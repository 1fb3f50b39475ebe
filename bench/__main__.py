"""``python -m bench [NAME ...] [--no-save]``: run the benchmarks, print tables, append RESULTS.md.

Every module ``bench/bench_<name>.py`` is discovered; its ``run()`` returns a
:class:`bench.common.Report` (or a plain list of rows). NAME limits the run to some of them.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
from pathlib import Path

from bench.common import (
    RESULTS,
    Report,
    append_results,
    background_cores,
    cpu_snapshot,
    machine,
    markdown_section,
    table,
)

HERE = Path(__file__).resolve().parent


def discover() -> list[str]:
    """Names (without the ``bench_`` prefix) of every benchmark module, sorted."""
    return sorted(
        info.name.removeprefix("bench_")
        for info in pkgutil.iter_modules([str(HERE)])
        if info.name.startswith("bench_")
    )


def run_one(name: str) -> Report:
    """Import ``bench.bench_<name>`` and run it."""
    module = importlib.import_module(f"bench.bench_{name}")
    result = module.run()
    if isinstance(result, Report):
        return result
    title = (module.__doc__ or name).strip().splitlines()[0]
    return Report(title, list(result))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--no-save", action="store_true", help=f"do not append to {RESULTS.name}")
    args = parser.parse_args(argv)

    available = discover()
    unknown = sorted(set(args.names) - set(available))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(available)}")
    info = machine()
    print(" · ".join(f"{k}: {v}" for k, v in info.items()), flush=True)

    reports = []
    start = cpu_snapshot()
    for name in args.names or available:
        print(f"\n== {name} ...", flush=True)
        began = time.perf_counter()
        report = run_one(name)
        print(f"== {name}: {report.title} ({time.perf_counter() - began:.0f} s)\n")
        print(table(report.rows))
        for note in report.notes:
            print(f"  - {note}")
        reports.append((name, report))

    info["background"] = background_cores(start, cpu_snapshot())
    print(f"\nother processes used {info['background']} during the run (noise indicator)")
    if not args.no_save:
        append_results(markdown_section(info, reports))
        print(f"\nappended to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
