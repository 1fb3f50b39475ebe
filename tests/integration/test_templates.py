"""Industry templates (docs/templates.md): each shipped bundle applies to a fresh database, applies
again with no changes, exports to a bundle that plans to no changes and applies to another fresh
database giving the same configuration; bad bundles are refused with the file and place named
and the database unchanged; local changes are conflicts that need an explicit choice."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Category, FormVersion, ProcessVersion, Product, Region, TemplateApplication
from tests.conftest import make_app, new_database

ROOT = Path(__file__).parents[2]
TEMPLATES = sorted(p.parent.name for p in (ROOT / "seed_templates").glob("*/manifest.yaml"))


def fresh_app(url: str):
    app = make_app(url)
    result = app.test_cli_runner().invoke(args=["dms", "init"])
    assert result.exit_code == 0, result.output
    return app


def cli(app, *args: str, ok: bool = True):
    result = app.test_cli_runner().invoke(args=["dms", "template", *args])
    assert (result.exit_code == 0) is ok, result.output
    return result


def plan_of(app, name: str, ok: bool = True) -> dict:
    result = app.test_cli_runner().invoke(args=["dms", "template", "plan", name, "--json"])
    assert (result.exit_code == 0) is ok, result.output
    return json.loads(result.output)


def dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def counts(app) -> dict[str, int]:
    with app.app_context():
        out = {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (
                AuditLog,
                Product,
                Region,
                Category,
                FormVersion,
                ProcessVersion,
                TemplateApplication,
            )
        }
        db.session.remove()
        return out


def test_every_industry_is_shipped():
    assert {"fmcg", "building_materials", "auto_parts"} <= set(TEMPLATES)


@pytest.mark.parametrize("key", TEMPLATES)
def test_apply_again_export_replan_and_apply_elsewhere(key, tmp_path):
    with new_database(tmp_path) as url, new_database(tmp_path) as other_url:
        app = fresh_app(url)
        first = plan_of(app, key)
        assert first["problems"] == []
        assert first["summary"]["create"] > 10 and first["summary"]["conflict"] == 0
        cli(app, "apply", key)
        after = counts(app)
        assert after["Product"] >= 20 and after["TemplateApplication"] == 1
        again = plan_of(app, key)["summary"]
        assert again["create"] == again["update"] == again["conflict"] == 0, again
        cli(app, "apply", key)
        second = counts(app)
        # the second apply writes nothing but its own record (and that record's audit row)
        assert second["TemplateApplication"] == 2
        assert second["AuditLog"] == after["AuditLog"] + 1
        assert {k: v for k, v in second.items() if k not in ("TemplateApplication", "AuditLog")} == {
            k: v for k, v in after.items() if k not in ("TemplateApplication", "AuditLog")
        }
        exported = tmp_path / "exported"
        cli(app, "export", str(exported))
        replan = plan_of(app, str(exported))
        assert replan["problems"] == [] and replan["summary"]["unchanged"] > 0
        assert {c["action"] for c in replan["changes"]} == {"unchanged"}, [
            c for c in replan["changes"] if c["action"] != "unchanged"
        ]
        with app.app_context():
            products = sorted(db.session.scalars(select(Product.code)))
            flows = {
                v.definition.key: v.files
                for v in db.session.scalars(select(ProcessVersion))
                if v.version == max(x.version for x in v.definition.versions)
            }
        dispose(app)

        other = fresh_app(other_url)
        cli(other, "apply", str(exported))
        assert {c["action"] for c in plan_of(other, key)["changes"]} == {"unchanged"}
        with other.app_context():
            assert sorted(db.session.scalars(select(Product.code))) == products
            latest = {
                v.definition.key: v.files
                for v in db.session.scalars(select(ProcessVersion))
                if v.version == max(x.version for x in v.definition.versions)
            }
            assert latest == flows
        dispose(other)


def test_industries_really_differ():
    """Each non-default industry ships its own flows, forms or rules, and its own catalogue."""
    skus = {}
    for key in TEMPLATES:
        root = ROOT / "seed_templates" / key
        reference = yaml.safe_load((root / "reference.yaml").read_text(encoding="utf-8"))
        skus[key] = {row["code"] for row in reference["products"]}
        if key != "fmcg":
            overrides = [
                p for d in ("workflows", "forms", "rules") for p in (root / d).rglob("*") if p.is_file()
            ]
            assert overrides, f"{key} ships no flow, form or rule of its own"
    assert not skus["fmcg"] & skus["building_materials"] and not skus["fmcg"] & skus["auto_parts"]


@pytest.fixture(scope="module")
def app(database_url):
    application = fresh_app(database_url)
    cli(application, "apply", "fmcg")
    yield application
    dispose(application)


def _copy(tmp_path: Path, name: str = "bad") -> Path:
    target = tmp_path / name
    shutil.copytree(ROOT / "seed_templates" / "fmcg", target)
    manifest = yaml.safe_load((target / "manifest.yaml").read_text(encoding="utf-8"))
    manifest["key"] = name
    (target / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    return target


def _refused(app, bundle: Path) -> list[dict]:
    before = counts(app)
    problems = plan_of(app, str(bundle), ok=False)["problems"]
    result = app.test_cli_runner().invoke(args=["dms", "template", "apply", str(bundle)])
    assert result.exit_code != 0 and "nothing applied" in result.output
    assert counts(app) == before
    return problems


def test_an_invalid_bpmn_is_named_by_file_and_element(app, tmp_path):
    bundle = _copy(tmp_path)
    (bundle / "workflows").mkdir(exist_ok=True)
    flow = (ROOT / "workflows" / "price_exception_review.bpmn").read_text(encoding="utf-8")
    # the regional manager's task names a form that does not exist
    broken = flow.replace('value="price_review"', 'value="no_such_form"', 1)
    assert broken != flow
    (bundle / "workflows" / "price_exception_review.bpmn").write_text(broken, encoding="utf-8")
    (bundle / "workflows" / "broken.bpmn").write_text(
        "<definitions><unclosed></definitions>", encoding="utf-8"
    )
    problems = _refused(app, bundle)
    files = {p["file"] for p in problems}
    assert "workflows/price_exception_review.bpmn" in files and "workflows/broken.bpmn" in files
    form = next(p for p in problems if p["file"] == "workflows/price_exception_review.bpmn")
    assert "no_such_form" in form["message"] and form["where"].startswith("rm_review")


def test_a_form_that_is_not_json_schema(app, tmp_path):
    bundle = _copy(tmp_path)
    (bundle / "forms").mkdir(exist_ok=True)
    (bundle / "forms" / "order_entry.schema.json").write_text(
        json.dumps({"type": "object", "properties": {"note": {"type": "text"}}}), encoding="utf-8"
    )
    problems = _refused(app, bundle)
    assert [p["file"] for p in problems] == ["forms/order_entry.schema.json"]
    assert "properties/note/type" in problems[0]["message"]


def test_a_rule_reading_an_unknown_variable(app, tmp_path):
    bundle = _copy(tmp_path)
    (bundle / "rules").mkdir(exist_ok=True)
    dmn = (ROOT / "rules" / "order_approval.dmn").read_text(encoding="utf-8")
    (bundle / "rules" / "order_approval.dmn").write_text(
        dmn.replace('checks["tier"]', 'checks["urgency"]').replace(
            'Decimal(checks["amount"])', "Decimal(total)"
        ),
        encoding="utf-8",
    )
    problems = _refused(app, bundle)
    messages = [p["message"] for p in problems if p["file"] == "rules/order_approval.dmn"]
    assert any("'total'" in m for m in messages) and any("urgency" in m for m in messages)
    assert all(
        p["where"].startswith("order_approval/") for p in problems if p["file"] == "rules/order_approval.dmn"
    )


def test_references_to_missing_regions_and_skus(app, tmp_path):
    bundle = _copy(tmp_path)
    reference = yaml.safe_load((bundle / "reference.yaml").read_text(encoding="utf-8"))
    reference["regions"].append({"code": "XZ", "name": "西藏", "parent": "WEST"})
    reference["products"].append({"code": "X-1", "name": "无类目商品", "category": "NOPE"})
    reference["price_policy"]["records"].append({"type": "base", "sku": "NO-SUCH-SKU", "price": "1.00"})
    (bundle / "reference.yaml").write_text(yaml.safe_dump(reference, allow_unicode=True), encoding="utf-8")
    problems = _refused(app, bundle)
    text = [f"{p['where']}: {p['message']}" for p in problems]
    assert any("XZ" in t and "unknown region WEST" in t for t in text), text
    assert any("X-1" in t and "unknown category NOPE" in t for t in text), text
    assert any("price_policy.records" in t and "NO-SUCH-SKU" in t for t in text), text


def test_an_unsupported_manifest_version(app, tmp_path):
    bundle = _copy(tmp_path)
    manifest = yaml.safe_load((bundle / "manifest.yaml").read_text(encoding="utf-8"))
    manifest["format"] = 2
    (bundle / "manifest.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    problems = _refused(app, bundle)
    assert problems == [
        {
            "file": "manifest.yaml",
            "where": "format",
            "message": "unsupported bundle format 2: this platform reads 1",
        }
    ]


def test_local_changes_are_conflicts_that_need_a_choice(app):
    with app.app_context():
        db.session.execute(Region.__table__.update().where(Region.code == "SH").values(name="上海市"))
        db.session.commit()
    plan = plan_of(app, "fmcg")
    conflicts = [c for c in plan["changes"] if c["action"] == "conflict"]
    assert [(c["object"], c["detail"]) for c in conflicts] == [("region:SH", "name")]
    before = counts(app)
    result = app.test_cli_runner().invoke(args=["dms", "template", "apply", "fmcg"])
    assert result.exit_code != 0 and "--conflicts keep" in result.output
    assert counts(app) == before
    cli(app, "apply", "fmcg", "--conflicts", "keep")
    with app.app_context():
        assert db.session.scalar(select(Region.name).where(Region.code == "SH")) == "上海市"
        db.session.remove()
    assert [c["object"] for c in plan_of(app, "fmcg")["changes"] if c["action"] == "conflict"] == [
        "region:SH"
    ]
    cli(app, "apply", "fmcg", "--conflicts", "overwrite")
    with app.app_context():
        assert db.session.scalar(select(Region.name).where(Region.code == "SH")) == "上海"
        db.session.remove()
    assert {c["action"] for c in plan_of(app, "fmcg")["changes"]} == {"unchanged"}


def test_a_template_update_after_its_own_apply_is_an_update_not_a_conflict(app, tmp_path):
    """What the last apply wrote may be changed by the next version of the template."""
    bundle = _copy(tmp_path, "fmcg_next")
    reference = yaml.safe_load((bundle / "reference.yaml").read_text(encoding="utf-8"))
    reference["regions"] = [
        dict(r, name_en="East") if r["code"] == "EAST" else r for r in reference["regions"]
    ]
    (bundle / "reference.yaml").write_text(yaml.safe_dump(reference, allow_unicode=True), encoding="utf-8")
    changes = [c for c in plan_of(app, str(bundle))["changes"] if c["action"] != "unchanged"]
    assert [(c["object"], c["action"], c["detail"]) for c in changes] == [
        ("region:EAST", "update", "name_en")
    ]
