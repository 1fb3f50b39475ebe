"""Read an industry template bundle (docs/templates.md) and check its files with the platform's own
checks: the engine's deploy checks for flows and decision tables, the form store's for forms, the
KPI set checks, the roles file parser. The bundle is an overlay on the platform's shipped
``workflows/``, ``forms/`` and ``rules/``: what it does not contain comes from there.

Nothing here touches the database; reference rows are checked against the database by
``template_plan``."""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

from app.adapters.kpi_files import check_document, read_document
from app.adapters.roles_file import RoleDefinition, load_roles
from app.config import ROOT
from app.domain.errors import ValidationFailed
from app.domain.kpi_sets import KpiSetRefused
from app.domain.templates import Manifest, Problem, check_manifest
from app.engine.decision_cases import CASES_SUFFIX, cases_filename
from app.engine.definitions import DeployRefused, build_spec
from app.engine.expressions import FUNCTIONS
from app.engine.loader import called_decisions
from app.engine.xml_safety import XmlRefused, parse_xml
from app.formkit.store import check_form

TEMPLATES_DIR = ROOT / "seed_templates"
PLATFORM = {"workflows": ROOT / "workflows", "forms": ROOT / "forms", "rules": ROOT / "rules"}
REFERENCE_LISTS = ("tiers", "regions", "product_lines", "categories", "products", "warehouses")
MAX_FILE_BYTES = 2 * 1024 * 1024
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


@dataclass
class Bundle:
    """A bundle's effective configuration (platform files overlaid by the bundle's)."""

    root: Path
    manifest: Manifest | None
    problems: list[Problem] = field(default_factory=list)
    flows: dict[str, dict[str, bytes]] = field(default_factory=dict)  # process key -> its files
    flow_files: dict[str, str] = field(default_factory=dict)  # process key -> BPMN file name
    rules: dict[str, bytes] = field(default_factory=dict)  # DMN and cases files by name
    forms: dict[str, tuple[dict, dict]] = field(default_factory=dict)  # name -> (schema, uischema)
    kpi_sets: dict[str, tuple[str, dict]] = field(default_factory=dict)  # key -> (YAML text, document)
    roles: dict[str, RoleDefinition] | None = None
    reference: dict[str, Any] = field(default_factory=dict)
    own: set[str] = field(default_factory=set)  # files the bundle itself ships (relative paths)

    @property
    def key(self) -> str:
        return self.manifest.key if self.manifest else self.root.name

    @property
    def version(self) -> str:
        return self.manifest.version if self.manifest else "?"


def shipped() -> list[Path]:
    """The bundle folders of ``seed_templates/`` (those with a manifest)."""
    return sorted(p.parent for p in TEMPLATES_DIR.glob("*/manifest.yaml"))


def locate(name: str) -> Path:
    """A shipped template by key, or a folder path; ValidationFailed naming the known keys."""
    if "/" not in name and "\\" not in name and name not in (".", ".."):
        folder = TEMPLATES_DIR / name
        if (folder / "manifest.yaml").is_file():
            return folder
    path = Path(name)
    if (path / "manifest.yaml").is_file():
        return path
    known = ", ".join(p.name for p in shipped())
    raise ValidationFailed(
        f"no template {name!r} (shipped: {known}; or give a bundle folder)", {"name": name}
    )


def _read(path: Path, rel: str, problems: list[Problem]) -> bytes | None:
    if path.stat().st_size > MAX_FILE_BYTES:
        problems.append(Problem(rel, None, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB"))
        return None
    return path.read_bytes()


def _yaml(path: Path, rel: str, problems: list[Problem]) -> Any:
    content = _read(path, rel, problems)
    if content is None:
        return None
    try:
        return yaml.safe_load(content.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        problems.append(Problem(rel, where, f"not readable YAML: {getattr(error, 'problem', None) or error}"))
        return None


def _overlay(root: Path, folder: str, pattern: str) -> dict[str, tuple[Path, str]]:
    """name -> (path, shown name): the platform's files, replaced by the bundle's of the same name."""
    found = {p.name: (p, f"{folder}/{p.name} (platform)") for p in sorted(PLATFORM[folder].glob(pattern))}
    for path in sorted((root / folder).glob(pattern)) if (root / folder).is_dir() else []:
        found[path.name] = (path, f"{folder}/{path.name}")
    return found


def read_bundle(root: Path, *, known_roles: set[str], form_exists: Callable[[str], bool]) -> Bundle:
    """Read and check every file of the bundle at ``root``; problems are collected, not raised."""
    problems: list[Problem] = []
    doc = (
        _yaml(root / "manifest.yaml", "manifest.yaml", problems)
        if (root / "manifest.yaml").is_file()
        else None
    )
    if doc is None and not problems:
        problems.append(Problem("manifest.yaml", None, "the bundle has no manifest.yaml"))
    manifest, manifest_problems = check_manifest(doc, "manifest.yaml") if doc is not None else (None, [])
    bundle = Bundle(root=root, manifest=manifest, problems=problems + manifest_problems)
    bundle.own = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    _read_forms(bundle)
    _read_rules(bundle)
    _read_flows(bundle, known_roles, lambda name: name in bundle.forms or form_exists(name))
    _read_kpi_sets(bundle)
    if (root / "roles.yaml").is_file():
        try:
            bundle.roles = load_roles(root / "roles.yaml")
        except ValidationFailed as error:
            bundle.problems.append(Problem("roles.yaml", None, error.message))
        else:
            unknown = sorted(set(bundle.roles) - known_roles)
            for name in unknown:
                bundle.problems.append(
                    Problem(
                        "roles.yaml", f"roles.{name}", "unknown role: roles are defined by app/web/roles.yaml"
                    )
                )
    if (root / "reference.yaml").is_file():
        reference = _yaml(root / "reference.yaml", "reference.yaml", bundle.problems)
        if reference is not None and not isinstance(reference, dict):
            bundle.problems.append(Problem("reference.yaml", None, "must be a mapping of lists"))
        else:
            bundle.reference = reference or {}
            for name, rows in bundle.reference.items():
                if name not in (*REFERENCE_LISTS, "price_policy"):
                    bundle.problems.append(Problem("reference.yaml", name, "unknown list"))
                elif name != "price_policy" and not isinstance(rows, list):
                    bundle.problems.append(Problem("reference.yaml", name, "must be a list"))
    return bundle


def _read_forms(bundle: Bundle) -> None:
    for name, (path, shown) in _overlay(bundle.root, "forms", "*.schema.json").items():
        form = name.removesuffix(".schema.json")
        ui_path = path.with_name(f"{form}.uischema.json")
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
            uischema = json.loads(ui_path.read_text(encoding="utf-8")) if ui_path.is_file() else {}
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            where = f"line {error.lineno}" if isinstance(error, json.JSONDecodeError) else None
            bundle.problems.append(Problem(shown, where, f"not valid JSON: {error}"))
            continue
        try:
            check_form(form, schema, uischema)
        except ValidationFailed as error:
            bundle.problems.append(Problem(shown, "schema", error.message))
            continue
        bundle.forms[form] = (schema, uischema)


def _read_rules(bundle: Bundle) -> None:
    for pattern in ("*.dmn", f"*{CASES_SUFFIX}"):
        for name, (path, shown) in _overlay(bundle.root, "rules", pattern).items():
            content = _read(path, shown, bundle.problems)
            if content is not None:
                bundle.rules[name] = content
    provided = provided_variables(PLATFORM["rules"])
    for name, content in bundle.rules.items():
        if name.endswith(".dmn") and f"rules/{name}" in bundle.own:
            bundle.problems.extend(unknown_variables(content, f"rules/{name}", provided))


def provided_variables(rules_dir: Path) -> dict[str, dict[str, set[str] | None]]:
    """Per decision id, the variables its flow provides, read off the platform's example cases
    (their inputs are what the flow passes): name -> the keys of a mapping, or None."""
    out: dict[str, dict[str, set[str] | None]] = {}
    for path in sorted(rules_dir.glob(f"*{CASES_SUFFIX}")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        names = out.setdefault(doc.get("decision"), {})
        for case in doc.get("cases", []):
            for name, value in (case.get("inputs") or {}).items():
                if isinstance(value, dict):
                    keys = names.get(name) or set()
                    names[name] = keys | set(value)
                else:
                    names.setdefault(name, None)
    return out


def unknown_variables(
    content: bytes, file: str, provided: dict[str, dict[str, set[str] | None]]
) -> list[Problem]:
    """Inputs of a decision table that read a variable (or a key of one) its flow does not provide.
    Only decisions the platform ships are checked: a new decision has no flow that calls it yet
    except the bundle's own, whose cases say what it passes."""
    try:
        root = parse_xml(content, file)
    except XmlRefused:
        return []  # reported by the flow that deploys it
    problems = []
    for decision in root.iter("{*}decision"):
        known = provided.get(decision.get("id"))
        if known is None:
            continue
        for column in decision.iter("{*}input"):
            text = column.findtext("{*}inputExpression/{*}text") or ""
            try:
                tree = ast.parse(text.strip(), mode="eval")
            except SyntaxError:
                continue  # the engine's lint names it
            for message in _reads(tree, known):
                problems.append(Problem(file, f"{decision.get('id')}/{column.get('id')}", message))
    return problems


def _reads(tree: ast.AST, known: dict[str, set[str] | None]) -> list[str]:
    out = []
    callees = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Name)
            and id(node) not in callees
            and node.id not in FUNCTIONS
            and node.id not in known
        ):
            out.append(f"reads unknown variable {node.id!r} (the flow provides: {', '.join(sorted(known))})")
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            keys = known.get(node.value.id)
            if keys and node.slice.value not in keys:
                out.append(
                    f"reads unknown variable {node.value.id}[{node.slice.value!r}] "
                    f"(known keys: {', '.join(sorted(keys))})"
                )
    return out


def _process_key(content: bytes, shown: str) -> str | None:
    root = parse_xml(content, shown)
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if process.get("isExecutable", "true").lower() == "true":
            return process.get("id")
    return None


def _read_flows(bundle: Bundle, known_roles: set[str], form_exists: Callable[[str], bool]) -> None:
    decisions: dict[str, str] = {}
    for name, content in bundle.rules.items():
        if name.endswith(".dmn"):
            try:
                root = parse_xml(content, name)
            except XmlRefused as refused:
                bundle.problems.append(Problem(f"rules/{name}", f"line {refused.line}", refused.message))
                continue
            for decision in root.iter():
                if etree.QName(decision).localname == "decision" and decision.get("id"):
                    decisions[decision.get("id")] = name
    for name, (path, shown) in _overlay(bundle.root, "workflows", "*.bpmn").items():
        content = _read(path, shown, bundle.problems)
        if content is None:
            continue
        try:
            key = _process_key(content, shown)
            files = {name: content}
            for decision_id in sorted(called_decisions(content, name)):
                if decision_id in decisions:
                    dmn = decisions[decision_id]
                    files[dmn] = bundle.rules[dmn]
                    cases = cases_filename(dmn)
                    if cases in bundle.rules:
                        files[cases] = bundle.rules[cases]
            build_spec(files, trusted=False, form_exists=form_exists, known_roles=known_roles)
        except XmlRefused as refused:
            bundle.problems.append(Problem(shown, f"line {refused.line}", refused.message))
            continue
        except DeployRefused as refused:
            for p in refused.problems:
                file = p.get("file") or name
                own = ("workflows/" if file.endswith(".bpmn") else "rules/") + file
                where = " ".join(
                    str(x) for x in (p.get("element"), p.get("line") and f"line {p['line']}") if x
                )
                bundle.problems.append(
                    Problem(own if own in bundle.own else f"{own} (platform)", where or None, p["message"])
                )
            continue
        if key is None:
            bundle.problems.append(Problem(shown, None, "no executable process"))
            continue
        bundle.flows[key] = files
        bundle.flow_files[key] = name


def _read_kpi_sets(bundle: Bundle) -> None:
    platform = PLATFORM["rules"] / "kpi"
    found = {p.name: (p, f"rules/kpi/{p.name} (platform)") for p in sorted(platform.glob("*.yaml"))}
    own = bundle.root / "rules" / "kpi"
    for path in sorted(own.glob("*.yaml")) if own.is_dir() else []:
        found[path.name] = (path, f"rules/kpi/{path.name}")
    for path, shown in found.values():
        content = _read(path, shown, bundle.problems)
        if content is None:
            continue
        try:
            doc = read_document(content, shown)
            checked = check_document(doc, shown)
        except KpiSetRefused as refused:
            for p in refused.problems:
                where = " ".join(str(p[k]) for k in ("kpi", "suggestion", "field") if p.get(k)) or None
                bundle.problems.append(Problem(shown, where, p["message"]))
            continue
        bundle.kpi_sets[checked.key] = (content.decode("utf-8"), doc)
