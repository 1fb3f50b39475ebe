"""KPI sets of dealer scorecards: the model and the checks a set must pass.

A set is data (``rules/kpi/<name>.yaml``, format in ``rules/kpi/kpi_set.schema.json`` and
docs/scorecards.md). ``app/adapters/kpi_files.py`` reads a file and checks it against the JSON
Schema; ``parse_kpi_set`` takes the schema-valid document and adds the checks a schema cannot
express: weights adding up to 100 %, metrics of the library, unique keys, bands without gap or
overlap, a line whose floor lies on the right side of the target, suggestions naming known metrics
and KPIs. Every problem names the file, the KPI (or suggestion) and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.domain.errors import ValidationFailed
from app.domain.kpi_metrics import HIGHER, LOWER, METRICS

SCHEMA_VERSION = 1
PERIOD_KINDS = ("month", "quarter", "year")
SEVERITIES = ("critical", "warning", "info")  # most severe first
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Band:
    """Half-open range ``[low, high)`` of the basis figure; ``None`` is an open bound."""

    low: Decimal | None
    high: Decimal | None
    points: Decimal

    def contains(self, figure: Decimal) -> bool:
        return (self.low is None or self.low <= figure) and (self.high is None or figure < self.high)


@dataclass(frozen=True)
class Kpi:
    """One scored figure: a metric against a target, with its weight (percent) and scoring."""

    key: str
    name_zh: str
    name_en: str
    metric: str
    weight: Decimal
    target: Decimal
    direction: str  # HIGHER or LOWER is better
    method: str  # "bands" or "linear"
    basis: str  # "attainment" (value against target) or "value"
    bands: tuple[Band, ...] = ()
    floor: Decimal | None = None
    missing: str = "zero"  # "zero": 0 points, flagged; "exclude": left out, weights re-normalised


@dataclass(frozen=True)
class Condition:
    """``<metric value | KPI points> <op> <value>``; ``subject`` is ``"metric"`` or ``"kpi"``."""

    subject: str
    key: str
    op: str
    value: Decimal


@dataclass(frozen=True)
class Group:
    """``all`` (every item holds) or ``any`` (one item holds) of conditions and groups."""

    mode: str
    items: tuple[Condition | Group, ...]


@dataclass(frozen=True)
class SuggestionRule:
    """An improvement suggestion shown when its conditions hold."""

    key: str
    severity: str
    when: Group
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class KpiSet:
    """A named set of weighted KPIs for one kind of period, with its suggestion rules."""

    key: str
    name_zh: str
    name_en: str
    period: str
    kpis: tuple[Kpi, ...]
    suggestions: tuple[SuggestionRule, ...] = ()
    source: str = ""

    def kpi(self, key: str) -> Kpi:
        """The KPI of ``key`` (``KeyError`` when the set has none)."""
        for kpi in self.kpis:
            if kpi.key == key:
                return kpi
        raise KeyError(key)

    def metrics_needed(self) -> tuple[str, ...]:
        """Every metric the KPIs score or the suggestions test, in first-use order."""
        keys = [k.metric for k in self.kpis]
        for rule in self.suggestions:
            keys.extend(c.key for c in conditions(rule.when) if c.subject == "metric")
        return tuple(dict.fromkeys(keys))


def conditions(group: Group) -> list[Condition]:
    """The conditions of a group and its nested groups, in order."""
    found: list[Condition] = []
    for item in group.items:
        found.extend(conditions(item) if isinstance(item, Group) else [item])
    return found


def problem(
    file: str,
    message: str,
    *,
    kpi: str | None = None,
    suggestion: str | None = None,
    field: str | None = None,
) -> dict[str, str | None]:
    """A problem as the loaders report it."""
    return {"file": file, "kpi": kpi, "suggestion": suggestion, "field": field, "message": message}


def describe(item: Mapping[str, Any]) -> str:
    """One line: ``file: KPI 'sales', weight: message``."""
    parts = [
        *([f"KPI {item['kpi']!r}"] if item.get("kpi") else []),
        *([f"suggestion {item['suggestion']!r}"] if item.get("suggestion") else []),
        *([str(item["field"])] if item.get("field") else []),
    ]
    return f"{item['file']}: " + (", ".join(parts) + ": " if parts else "") + str(item["message"])


class KpiSetRefused(ValidationFailed):
    """The set cannot be used; ``problems`` lists ``{"file", "kpi", "suggestion", "field", "message"}``."""

    def __init__(self, problems: list[dict[str, str | None]]) -> None:
        lines = [describe(p) for p in problems]
        more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
        errors = {describe({**p, "message": ""}).rstrip(": "): str(p["message"]) for p in problems}
        super().__init__(lines[0] + more, errors)
        self.problems = problems


def version_problem(doc: Any, file: str) -> dict[str, str | None] | None:
    """A problem when the document is not a mapping of schema version 1 (checked before anything else)."""
    if not isinstance(doc, Mapping):
        return problem(file, "the file must hold a mapping (key: value lines) at the top level")
    version = doc.get("schema_version")
    if isinstance(version, bool) or version != SCHEMA_VERSION:
        shown = "missing" if version is None else repr(version)
        message = f"unsupported schema version {shown}; this platform reads schema_version: {SCHEMA_VERSION}"
        return problem(file, message, field="schema_version")
    return None


def _dec(value: Any) -> Decimal:
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise ValueError("must be a finite number")
    return number


class _Checker:
    """Builds a set from a schema-valid document, collecting every problem on the way."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[dict[str, str | None]] = []

    def add(self, message: str, **where: str | None) -> None:
        self.problems.append(problem(self.file, message, **where))

    def number(self, value: Any, **where: str | None) -> Decimal:
        try:
            return _dec(value)
        except (ValueError, ArithmeticError, TypeError):
            self.add(f"{value!r} is not a finite number", **where)
            return Decimal(0)

    def kpi(self, raw: Mapping[str, Any]) -> Kpi:
        key = raw["key"]
        if raw["metric"] not in METRICS:
            self.add(
                f"unknown metric {raw['metric']!r} (known: {', '.join(METRICS)})", kpi=key, field="metric"
            )
        scoring = raw["scoring"]
        method, basis = scoring["method"], scoring.get("basis", "attainment")
        bands = tuple(
            Band(
                None
                if "from" not in b
                else self.number(b["from"], kpi=key, field=f"scoring.bands[{i}].from"),
                None if "to" not in b else self.number(b["to"], kpi=key, field=f"scoring.bands[{i}].to"),
                self.number(b["points"], kpi=key, field=f"scoring.bands[{i}].points"),
            )
            for i, b in enumerate(scoring.get("bands") or ())
        )
        floor = (
            None if "floor" not in scoring else self.number(scoring["floor"], kpi=key, field="scoring.floor")
        )
        kpi = Kpi(
            key=key,
            name_zh=raw["name"]["zh"],
            name_en=raw["name"]["en"],
            metric=raw["metric"],
            weight=self.number(raw["weight"], kpi=key, field="weight"),
            target=self.number(raw["target"], kpi=key, field="target"),
            direction=raw["direction"],
            method=method,
            basis=basis,
            bands=bands if method == "bands" else (),
            floor=floor if method == "linear" else None,
            missing=raw.get("missing", "zero"),
        )
        if method == "bands" and floor is not None:
            self.add(
                "floor is only read by linear scoring; remove it or use method: linear",
                kpi=key,
                field="scoring.floor",
            )
        if method == "linear" and bands:
            self.add(
                "bands are only read by band scoring; remove them or use method: bands",
                kpi=key,
                field="scoring.bands",
            )
        if basis == "attainment" and kpi.target <= 0:
            self.add(
                "must be above 0 when the scoring basis is attainment (value against target)",
                kpi=key,
                field="target",
            )
        self.bands(kpi)
        self.line(kpi)
        return kpi

    def bands(self, kpi: Kpi) -> None:
        """Sorted by lower bound, each band must end where the next begins."""
        for i, band in enumerate(kpi.bands):
            if band.low is not None and band.high is not None and band.low >= band.high:
                self.add(
                    f"from {band.low} must be below to {band.high}", kpi=kpi.key, field=f"scoring.bands[{i}]"
                )
                return
        order = sorted(
            range(len(kpi.bands)), key=lambda i: (kpi.bands[i].low is not None, kpi.bands[i].low or 0)
        )
        for a, b in zip(order, order[1:], strict=False):
            first, second = kpi.bands[a], kpi.bands[b]
            field = f"scoring.bands[{b}]"
            if first.high is None or second.low is None or first.high > second.low:
                ranges = f"bands[{a}] {_range(first)} and bands[{b}] {_range(second)}"
                self.add(f"bands overlap: {ranges}", kpi=kpi.key, field=field)
            elif first.high < second.low:
                gap = f"{first.high} and {second.low}"
                message = f"gap between {gap}: no band covers it (bands[{a}] and bands[{b}])"
                self.add(message, kpi=kpi.key, field=field)

    def line(self, kpi: Kpi) -> None:
        """The floor (0 points) lies below the target (100 points) when higher is better, above otherwise."""
        if kpi.method != "linear" or kpi.floor is None:
            return
        better, aim = effective(kpi)
        if better == HIGHER and kpi.floor >= aim:
            self.add(
                f"floor {kpi.floor} must be below the target {aim} (higher is better)",
                kpi=kpi.key,
                field="scoring.floor",
            )
        if better == LOWER and kpi.floor <= aim:
            self.add(
                f"floor {kpi.floor} must be above the target {aim} (lower is better)",
                kpi=kpi.key,
                field="scoring.floor",
            )

    def group(self, raw: Mapping[str, Any], path: str, rule: str, kpis: set[str]) -> Group:
        mode = "all" if "all" in raw else "any"
        items: list[Condition | Group] = []
        for i, item in enumerate(raw[mode]):
            where = f"{path}.{mode}[{i}]"
            if "all" in item or "any" in item:
                items.append(self.group(item, where, rule, kpis))
                continue
            subject = "metric" if "metric" in item else "kpi"
            key = item[subject]
            if subject == "metric" and key not in METRICS:
                message = f"unknown metric {key!r} (known: {', '.join(METRICS)})"
                self.add(message, suggestion=rule, field=f"{where}.metric")
            if subject == "kpi" and key not in kpis:
                message = f"unknown KPI {key!r} (this set has: {', '.join(sorted(kpis))})"
                self.add(message, suggestion=rule, field=f"{where}.kpi")
            value = self.number(item["value"], suggestion=rule, field=f"{where}.value")
            items.append(Condition(subject, key, item["op"], value))
        return Group(mode, tuple(items))


def _range(band: Band) -> str:
    low = "-∞" if band.low is None else str(band.low)
    high = "∞" if band.high is None else str(band.high)
    return f"[{low}, {high})"


def effective(kpi: Kpi) -> tuple[str, Decimal]:
    """The direction and the target in terms of the basis figure: attainment is always
    higher-is-better with target 1; the value keeps the KPI's own direction and target."""
    if kpi.basis == "attainment":
        return HIGHER, Decimal(1)
    return kpi.direction, kpi.target


def _duplicates(keys: list[str]) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        seen.setdefault(key, []).append(index)
    return {k: v for k, v in seen.items() if len(v) > 1}


def parse_kpi_set(doc: Mapping[str, Any], file: str) -> KpiSet:
    """The set of a schema-valid document (see ``app/adapters/kpi_files.py``); ``KpiSetRefused``
    lists every problem the schema cannot see, each naming the file, the KPI and the field."""
    refused = version_problem(doc, file)
    if refused:
        raise KpiSetRefused([refused])
    check = _Checker(file)
    kpis = tuple(check.kpi(raw) for raw in doc["kpis"])
    for key, places in _duplicates([k.key for k in kpis]).items():
        where = " and ".join(f"kpis[{i}]" for i in places)
        check.add(f"KPI key {key!r} is used more than once ({where})", kpi=key, field="key")
    total = sum((k.weight for k in kpis), Decimal(0))
    if total != HUNDRED:
        listed = ", ".join(f"{k.key} {k.weight}" for k in kpis)
        check.add(f"weights add up to {total} %, not 100 % ({listed})", field="kpis[*].weight")
    keys = {k.key for k in kpis}
    rules = []
    for raw in doc.get("suggestions") or ():
        when = check.group(raw["when"], "when", raw["key"], keys)
        rules.append(
            SuggestionRule(raw["key"], raw["severity"], when, raw["message"]["zh"], raw["message"]["en"])
        )
    for key, places in _duplicates([r.key for r in rules]).items():
        where = " and ".join(f"suggestions[{i}]" for i in places)
        check.add(f"suggestion key {key!r} is used more than once ({where})", suggestion=key, field="key")
    if check.problems:
        raise KpiSetRefused(check.problems)
    return KpiSet(doc["key"], doc["name"]["zh"], doc["name"]["en"], doc["period"], kpis, tuple(rules), file)
