"""Shared benchmark code: timing percentiles, peak memory, tables and the RESULTS.md writer.

``compare`` times an operation and its baseline in alternating blocks (``perf_counter``
around each call; the process RSS high-water mark is reset before each block), then runs a
shorter memory pass of each under ``tracemalloc``, which slows Python code down and so never
overlaps the timing.
"""

from __future__ import annotations

import os
import platform
import subprocess
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter

MIB = 1024 * 1024
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
RESULTS_HEADER = """# Benchmark results

`make bench` (`python -m bench`) appends one section per run: the date (UTC), the machine
(CPU model, cores, load average at the start, CPU used by other processes during the run),
Python, the git commit, then one table per `bench/bench_*.py` module.

Each figure is measured in the same process as its baseline, the two alternating in blocks.
Ratio = ours / baseline: for latencies, how many times slower we are; for throughput, the
fraction of the baseline's requests per second. Peak memory is the tracemalloc peak of
Python allocations during a short extra pass, with the process RSS high-water mark during
the timed calls in brackets. Figures from different machines, or from a busy machine (other
processes using CPU during the run), are not comparable.
"""


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of each call of one timing pass."""

    samples: tuple[float, ...]
    rss_peak: int | None = None  # bytes: process RSS high-water mark during the pass

    @property
    def p50(self) -> float:
        return percentile(self.samples, 50)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)

    @property
    def rps(self) -> float:
        """Calls per second, one after another on one thread."""
        return len(self.samples) / sum(self.samples)


@dataclass(frozen=True)
class Memory:
    """Peak memory of a memory pass."""

    python_peak: int  # bytes: tracemalloc peak above what was allocated before the pass
    rss_peak: int | None = None  # bytes: process RSS high-water mark (from the timing pass)

    def __str__(self) -> str:
        text = f"{self.python_peak / MIB:.2f} MiB"
        if self.rss_peak is not None:
            text += f" (RSS {self.rss_peak / MIB:.0f} MiB)"
        return text


@dataclass(frozen=True)
class Measurement:
    """Timing and memory of one operation."""

    timing: Timing
    memory: Memory


@dataclass(frozen=True)
class Row:
    """One figure of a benchmark table; ``baseline`` is the same figure for the baseline."""

    figure: str
    value: float
    unit: str = "ms"
    baseline: float | None = None
    memory: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline


@dataclass
class Report:
    """What a benchmark module's ``run()`` returns."""

    title: str
    rows: list[Row]
    notes: list[str] = field(default_factory=list)


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear interpolation between closest ranks."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _reset_rss_peak() -> bool:
    """Reset the kernel's RSS high-water mark of this process (Linux >= 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _rss_peak() -> int | None:
    """VmHWM of this process in bytes, or None where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def time_calls(fn: Callable[[], object], n: int, warmup: int = 0) -> Timing:
    """Call ``fn`` ``warmup`` times untimed, then ``n`` times timed one by one."""
    for _ in range(warmup):
        fn()
    resettable = _reset_rss_peak()
    samples = []
    for _ in range(n):
        start = perf_counter()
        fn()
        samples.append(perf_counter() - start)
    return Timing(tuple(samples), _rss_peak() if resettable else None)


def python_peak(fn: Callable[[], object], n: int) -> int:
    """Bytes: the tracemalloc peak while calling ``fn`` ``n`` times, above the start level."""
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _ in range(n):
            fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return max(0, peak - start)


def _merge(timings: Sequence[Timing]) -> Timing:
    peaks = [t.rss_peak for t in timings if t.rss_peak is not None]
    return Timing(tuple(s for t in timings for s in t.samples), max(peaks) if peaks else None)


def compare(
    ours: Callable[[], object],
    base: Callable[[], object],
    n: int,
    warmup: int = 0,
    memory_n: int = 10,
    rounds: int = 5,
) -> tuple[Measurement, Measurement]:
    """Time ``ours`` and ``base`` ``n`` times each, alternating in ``rounds`` blocks so a change
    in background load hits both alike; then a memory pass of ``memory_n`` calls each."""
    for _ in range(warmup):
        ours()
        base()
    sizes = [n // rounds + (1 if i < n % rounds else 0) for i in range(rounds)]
    ours_parts, base_parts = [], []
    for k in sizes:
        ours_parts.append(time_calls(ours, k))
        base_parts.append(time_calls(base, k))
    ours_t, base_t = _merge(ours_parts), _merge(base_parts)
    return (
        Measurement(ours_t, Memory(python_peak(ours, memory_n), ours_t.rss_peak)),
        Measurement(base_t, Memory(python_peak(base, memory_n), base_t.rss_peak)),
    )


def latency_rows(name: str, ours: Measurement, base: Measurement) -> list[Row]:
    """p50, p95 (ms) and calls/s of ``ours`` against ``base``; memory on the p50 row."""
    memory = f"{ours.memory} / base {base.memory.python_peak / MIB:.2f} MiB"
    return [
        Row(f"{name} p50", ours.timing.p50 * 1000, "ms", base.timing.p50 * 1000, memory),
        Row(f"{name} p95", ours.timing.p95 * 1000, "ms", base.timing.p95 * 1000),
        Row(f"{name} throughput", ours.timing.rps, "req/s", base.timing.rps),
    ]


def _number(value: float, unit: str) -> str:
    digits = 3 if value < 10 else 1 if value < 1000 else 0
    return f"{value:,.{digits}f} {unit}"


def _ratio(ratio: float | None) -> str:
    if ratio is None:
        return ""
    return f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.2g}x"


def table(rows: Sequence[Row], markdown: bool = False) -> str:
    """The rows as an aligned text table, or a GitHub markdown table."""
    head = ("figure", "value", "baseline", "ratio", "peak memory (ours / baseline)")
    body = [
        (
            row.figure,
            _number(row.value, row.unit),
            _number(row.baseline, row.unit) if row.baseline is not None else "",
            _ratio(row.ratio),
            row.memory,
        )
        for row in rows
    ]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|---|--:|--:|--:|---|"]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    right = {1, 2, 3}

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([fmt(head), "  ".join("-" * w for w in widths), *map(fmt, body)])


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _git(*args: str) -> str:
    root = Path(__file__).resolve().parent.parent
    return subprocess.run(  # noqa: S603
        ["git", "-C", str(root), *args],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def _git_revision() -> str:
    try:
        rev = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + (" (with uncommitted changes)" if dirty else "")


@dataclass(frozen=True)
class CpuSnapshot:
    """Busy CPU seconds of the whole machine and of this process at one instant."""

    wall: float
    machine_busy: float | None  # None where /proc/stat is missing
    own: float


def cpu_snapshot() -> CpuSnapshot:
    """Read /proc/stat (all CPUs) and this process's CPU times."""
    busy = None
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
        idle = fields[3] + fields[4]  # idle + iowait
        busy = (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        pass
    times = os.times()
    return CpuSnapshot(perf_counter(), busy, times.user + times.system)


def background_cores(start: CpuSnapshot, end: CpuSnapshot) -> str:
    """Average CPU cores used by *other* processes between two snapshots (noise indicator)."""
    if start.machine_busy is None or end.machine_busy is None:
        return "n/a"
    wall = end.wall - start.wall
    other = (end.machine_busy - start.machine_busy) - (end.own - start.own)
    return f"{max(0.0, other) / wall:.2f} cores on average"


def machine() -> dict[str, str]:
    """Date (UTC), CPU, cores, load average, Python, OS and git commit of this run."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": f"{os.cpu_count()} ({usable} usable by this process)",
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": platform.platform(),
        "commit": _git_revision(),
    }


def markdown_section(info: dict[str, str], reports: Sequence[tuple[str, Report]]) -> str:
    """One RESULTS.md section: the machine, then a table and notes per benchmark."""
    lines = [
        f"## {info['date']}",
        "",
        f"- CPU: {info['cpu']}; cores: {info['cores']}",
        f"- Load average at start (1/5/15 min): {info['load']}; other processes during the run: "
        f"{info.get('background', 'n/a')}",
        f"- Python: {info['python']} on {info['os']}",
        f"- Commit: {info['commit']}",
    ]
    for name, report in reports:
        lines += ["", f"### {name}: {report.title}", "", table(report.rows, markdown=True)]
        if report.notes:
            lines += ["", *[f"- {note}" for note in report.notes]]
    return "\n".join(lines) + "\n"


def append_results(section: str, path: Path = RESULTS) -> None:
    """Append ``section`` to RESULTS.md, creating the file with its header if missing."""
    text = path.read_text(encoding="utf-8") if path.exists() else RESULTS_HEADER
    path.write_text(text.rstrip("\n") + "\n\n" + section, encoding="utf-8")
