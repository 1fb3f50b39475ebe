"""KPI set files: read ``rules/kpi/<name>.yaml``, check it against ``rules/kpi/kpi_set.schema.json``
(jsonschema), then build the set with the domain checks of ``app/domain/kpi_sets.py``.

Every refusal is a ``KpiSetRefused`` whose problems name the file, the KPI (or suggestion) and the
field. YAML anchors/aliases and repeated keys are refused: a set is short, and a repeated
``weight:`` silently replacing the first is a mistake nobody should have to find by its score.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from app.domain.kpi_sets import KpiSet, KpiSetRefused, parse_kpi_set, problem, version_problem

ROOT = Path(__file__).resolve().parents[2]
KPI_DIR = ROOT / "rules" / "kpi"
SCHEMA: dict[str, Any] = json.loads((KPI_DIR / "kpi_set.schema.json").read_text(encoding="utf-8"))
_VALIDATOR = Draft202012Validator(SCHEMA)
MAX_BYTES = 256 * 1024
MAX_PROBLEMS = 20
NESTING = 2  # all/any groups: the suggestion's own group and one level inside it
_TYPES = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
}


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key given twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_document(content: bytes, file: str) -> Any:
    """The YAML document of a set file, not yet checked (``KpiSetRefused`` when it cannot be read)."""
    if len(content) > MAX_BYTES:
        raise KpiSetRefused([problem(file, f"the file is larger than {MAX_BYTES // 1024} KiB")])
    try:
        text = content.decode("utf-8")
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise KpiSetRefused(
                    [problem(file, f"line {line}: YAML aliases (*name) are not allowed here")]
                )
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except UnicodeDecodeError:
        raise KpiSetRefused([problem(file, "the file is not UTF-8 text")]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        reason = getattr(error, "problem", None) or str(error)
        raise KpiSetRefused([problem(file, f"{where}not valid YAML: {reason}")]) from None


def _field(parts: list[Any]) -> str:
    """``["scoring", "bands", 0, "to"]`` → ``scoring.bands[0].to``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(error: Any) -> tuple[str, str | None]:
    """A plain message for a schema error, and the field name to add to its path (if any)."""
    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind == "additionalProperties":
        unknown = sorted(set(instance) - set(error.schema.get("properties", {})))
        allowed = ", ".join(error.schema.get("properties", {}))
        return f"is not a field here (allowed: {allowed})", str(unknown[0]) if unknown else None
    if kind == "type":
        kinds = value if isinstance(value, list) else [value]
        return "must be " + " or ".join(_TYPES.get(k, k) for k in kinds), None
    if kind == "enum":
        return f"{instance!r} is not one of {', '.join(map(str, value))}", None
    if kind == "pattern":
        return f"{instance!r} is not a key (lowercase letters, digits and _, starting with a letter)", None
    if kind in ("minProperties", "maxProperties") and "all" in error.schema.get("properties", {}):
        return "must hold exactly one of all or any", None
    if kind == "oneOf":
        both = isinstance(instance, dict) and "metric" in instance and "kpi" in instance
        return ("name either a metric or a kpi, not both" if both else "must name a metric or a kpi"), None
    if kind == "minItems":
        return f"needs at least {value} item(s)", None
    return error.message, None


def _located(doc: Any, file: str, path: list[Any], message: str) -> dict[str, str | None]:
    """A problem at ``path``, naming the KPI or suggestion by its key when it has one."""
    where: dict[str, str | None] = {}
    if len(path) >= 2 and path[0] in ("kpis", "suggestions") and isinstance(path[1], int):
        item = doc[path[0]][path[1]]
        key = item.get("key") if isinstance(item, dict) else None
        if isinstance(key, str):
            where = {"kpi" if path[0] == "kpis" else "suggestion": key}
            path = path[2:]
    return problem(file, message, field=_field(path) or None, **where)


def schema_problems(doc: Any, file: str) -> list[dict[str, str | None]]:
    """Problems of a document against the schema, each naming the KPI or suggestion by its key."""
    refused = version_problem(doc, file)
    if refused:
        return [refused]
    problems = []
    errors = sorted(_VALIDATOR.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors[:MAX_PROBLEMS]:
        nested = isinstance(error.instance, dict) and {"all", "any"} & set(error.instance)
        if nested and "op" in error.schema.get("properties", {}):
            found = [
                (
                    f"groups nest {NESTING} levels at most: only conditions (metric or kpi, op, value) here",
                    None,
                )
            ]
        elif error.validator == "required":
            found = [("is required", name) for name in error.validator_value if name not in error.instance]
        else:
            found = [_message(error)]
        for message, extra in found:
            located = _located(doc, file, [*error.absolute_path, *([extra] if extra else [])], message)
            if located not in problems:
                problems.append(located)
    return problems


def check_document(doc: Any, file: str) -> KpiSet:
    """The set of an already-loaded document (e.g. from the admin editor), checked like a file."""
    problems = schema_problems(doc, file)
    if problems:
        raise KpiSetRefused(problems)
    return parse_kpi_set(doc, file)


def load_kpi_text(content: bytes, file: str) -> KpiSet:
    """The set of a file's content; ``file`` is the name problems report."""
    return check_document(read_document(content, file), file)


def shown_name(path: Path) -> str:
    """A file's name as problems report it: relative to the project when it lies inside."""
    resolved = path.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(path)


def load_kpi_file(path: str | Path) -> KpiSet:
    """Read and check one set file."""
    path = Path(path)
    return load_kpi_text(path.read_bytes(), shown_name(path))


def load_kpi_sets(directory: str | Path = KPI_DIR) -> dict[str, KpiSet]:
    """Every ``*.yaml`` set of a directory by key; refuses (with every file's problems) when one
    file is refused or two files use the same key."""
    sets: dict[str, KpiSet] = {}
    problems: list[dict[str, str | None]] = []
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            kpi_set = load_kpi_file(path)
        except KpiSetRefused as refused:
            problems.extend(refused.problems)
            continue
        if kpi_set.key in sets:
            message = f"the set key {kpi_set.key!r} is already used by {sets[kpi_set.key].source}"
            problems.append(problem(kpi_set.source, message, field="key"))
            continue
        sets[kpi_set.key] = kpi_set
    if problems:
        raise KpiSetRefused(problems)
    return sets
