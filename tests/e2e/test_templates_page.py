"""The industry templates page and API (系统管理 → 行业模板, docs/templates.md): a consultant lists
the shipped templates, plans and applies fmcg through the page, applies again with no changes,
meets a conflict (refused without a choice, nothing changed; keep leaves the local value) and
exports the configuration as a .zip; dealers and sales reps are refused; only shipped keys."""

from __future__ import annotations

import io
import re
import shutil
import zipfile

import pytest
import yaml
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import AuditLog, Product, Region, TemplateApplication
from tests.conftest import ADMIN_PASSWORD, PASSWORD, auth, csrf_token, web_login

API = "/api/v1/template"


@pytest.fixture(scope="module")
def web(app):
    """One logged-in browser client per user (the login rate limit is per minute)."""
    clients: dict = {}

    def client(username: str):
        if username not in clients:
            clients[username] = app.test_client()
            password = ADMIN_PASSWORD if username == "admin" else PASSWORD
            assert web_login(clients[username], username, password).status_code == 302
        return clients[username]

    return client


def applications(app) -> list[TemplateApplication]:
    with app.app_context():
        found = list(db.session.scalars(select(TemplateApplication).order_by(TemplateApplication.id)))
        db.session.expunge_all()
        return found


def region_name(app, code: str) -> str:
    with app.app_context():
        return db.session.scalar(select(Region.name).where(Region.code == code))


def audit_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(AuditLog.id)))


def test_consultant_sees_the_list_and_the_plan_of_fmcg(app, web, tokens):
    consultant = web("consultant")
    page = consultant.get("/templates/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for key in ("fmcg", "building_materials"):
        assert f'data-template="{key}"' in html and f"/templates/{key}/plan" in html
    assert "快消品" in html and "/templates/export" in html and "--demo" in html
    assert "行业模板" in html  # zh_CN by default (menu and title)
    assert "从未应用" in html
    english = web("admin")  # the language is kept per user: the admin reads English here
    assert english.get("/lang/en").status_code == 302
    text = english.get("/templates/").get_data(as_text=True)
    assert "Industry templates" in text and "Never applied" in text and "Consumer goods" in text

    plan = consultant.get("/templates/fmcg/plan")
    assert plan.status_code == 200
    text = plan.get_data(as_text=True)
    assert 'data-testid="template-create"' in text and "product:BEV-W-550" in text
    assert "price:volume:sku=BEV-W-550,min_qty=100" in text  # price records by natural key
    assert 'data-testid="template-unchanged-group"' in text and "<details" in text  # the world's regions
    assert 'data-testid="template-problems"' not in text
    assert 'data-testid="template-apply"' in text and 'name="conflicts"' not in text  # no conflict: no radio

    body = web("consultant").get(f"{API}/fmcg/plan", headers=auth(tokens["consultant"])).get_json()
    assert body["template"] == "fmcg" and body["version"] == "1.0.0" and body["problems"] == []
    assert body["summary"]["create"] >= 40 and body["summary"]["conflict"] == 0
    changes = {c["object"]: c for c in body["changes"]}
    assert changes["product:BEV-W-550"]["action"] == "create"
    assert changes["region:SH"]["action"] == "unchanged"
    listed = consultant.get(f"{API}/", headers=auth(tokens["consultant"])).get_json()
    fmcg = next(t for t in listed["result"] if t["key"] == "fmcg")
    assert fmcg["name"] == {"zh": "快消品", "en": "Consumer goods"} and fmcg["latest_application"] is None


def test_applying_fmcg_through_the_page_creates_its_reference_data(app, web, tokens):
    consultant = web("consultant")
    with app.app_context():
        assert db.session.scalar(select(Product.id).where(Product.code == "BEV-W-550")) is None
    plan = consultant.get("/templates/fmcg/plan").get_data(as_text=True)
    applied = consultant.post("/templates/fmcg/apply", data={"csrf_token": csrf_token(plan)})
    assert applied.status_code == 200
    html = applied.get_data(as_text=True)
    assert 'data-testid="template-applied"' in html and 'data-testid="template-apply"' not in html
    assert "product:BEV-W-550" in html
    with app.app_context():
        product = db.session.scalars(select(Product).where(Product.code == "BEV-W-550")).one()
        assert product.name == "天然矿泉水 550ml"
    (record,) = applications(app)
    assert record.template == "fmcg" and record.version == "1.0.0" and record.applied_by == "consultant"
    assert record.summary["create"] >= 40 and record.conflicts is None
    listing = web("admin").get("/templates/").get_data(as_text=True)
    row = listing.split('data-template="fmcg"')[1].split("</tr>")[0]
    assert "consultant" in row and "v1.0.0" in row and "Never applied" not in row and "Newly created" in row
    latest = consultant.get(f"{API}/", headers=auth(tokens["consultant"])).get_json()["result"]
    fmcg = next(t for t in latest if t["key"] == "fmcg")["latest_application"]
    assert fmcg["applied_by"] == "consultant" and fmcg["version"] == "1.0.0" and fmcg["applied_at"]


def test_applying_again_reports_no_changes(app, web, tokens):
    client = web("consultant")
    plan = client.get(f"{API}/fmcg/plan", headers=auth(tokens["consultant"])).get_json()
    assert plan["summary"]["create"] == plan["summary"]["update"] == plan["summary"]["conflict"] == 0
    again = client.post(f"{API}/fmcg/apply", json={"conflicts": None}, headers=auth(tokens["consultant"]))
    assert again.status_code == 200, again.get_json()
    summary = again.get_json()["summary"]
    assert summary["create"] == summary["update"] == summary["conflict"] == 0 and summary["unchanged"] > 40
    assert len(applications(app)) == 2
    page = client.get("/templates/fmcg/plan").get_data(as_text=True)
    assert 'data-testid="template-create"' not in page and 'data-testid="template-apply"' in page


def test_a_local_change_is_a_conflict_refused_without_a_choice(app, web, tokens):
    client = web("consultant")
    with app.app_context():
        db.session.execute(update(Region).where(Region.code == "SH").values(name="上海市（本地）"))
        db.session.commit()
    plan = client.get(f"{API}/fmcg/plan", headers=auth(tokens["consultant"])).get_json()
    conflicts = [c["object"] for c in plan["changes"] if c["action"] == "conflict"]
    assert conflicts == ["region:SH"] and "name" in next(
        c["detail"] for c in plan["changes"] if c["object"] == "region:SH"
    )
    before, rows = len(applications(app)), audit_rows(app)

    refused = client.post(f"{API}/fmcg/apply", json={}, headers=auth(tokens["consultant"]))
    assert refused.status_code == 422
    body = refused.get_json()
    assert "changed locally" in body["message"] and "region:SH" in body["message"]
    assert body["errors"]["conflicts"] == "keep or overwrite" and body["errors"]["region:SH"]
    assert body["plan"]["summary"]["conflict"] == 1
    assert len(applications(app)) == before and audit_rows(app) == rows  # nothing changed
    assert region_name(app, "SH") == "上海市（本地）"

    page = client.get("/templates/fmcg/plan").get_data(as_text=True)
    assert 'data-testid="template-conflict"' in page and "region:SH" in page
    assert page.count('name="conflicts"') == 2  # keep / overwrite
    assert not re.search(r"<input[^>]*checked", page)  # none chosen
    no_choice = client.post("/templates/fmcg/apply", data={"csrf_token": csrf_token(page)})
    assert no_choice.status_code == 422
    assert 'data-testid="template-refused"' in no_choice.get_data(as_text=True)
    assert len(applications(app)) == before and region_name(app, "SH") == "上海市（本地）"

    kept = client.post("/templates/fmcg/apply", data={"csrf_token": csrf_token(page), "conflicts": "keep"})
    assert kept.status_code == 200 and 'data-testid="template-applied"' in kept.get_data(as_text=True)
    assert region_name(app, "SH") == "上海市（本地）"
    assert applications(app)[-1].conflicts == "keep" and len(applications(app)) == before + 1
    still = client.get(f"{API}/fmcg/plan", headers=auth(tokens["consultant"])).get_json()
    assert [c["object"] for c in still["changes"] if c["action"] == "conflict"] == ["region:SH"]

    overwritten = client.post(
        f"{API}/fmcg/apply", json={"conflicts": "overwrite"}, headers=auth(tokens["consultant"])
    )
    assert overwritten.status_code == 200 and overwritten.get_json()["summary"]["conflict"] == 1
    assert region_name(app, "SH") == "上海"
    assert applications(app)[-1].conflicts == "overwrite"


@pytest.mark.parametrize("user", ["dealer_sh1", "rep"])
def test_dealers_and_sales_reps_are_refused(app, web, tokens, user):
    client = web(user)
    for path in ("/templates/", "/templates/fmcg/plan", "/templates/export"):
        assert client.get(path).status_code == 403, path
    headers = auth(tokens[user])
    for path in ("/", "/fmcg/plan", "/export"):
        assert client.get(API + path, headers=headers).status_code == 403, path
    count = len(applications(app))
    assert client.post(f"{API}/fmcg/apply", json={}, headers=headers).status_code == 403
    assert len(applications(app)) == count


@pytest.mark.parametrize("key", ["nope", "FMCG", "..", "seed_templates", "fmcg.bak"])
def test_only_shipped_templates_by_key(web, tokens, key):
    client = web("consultant")
    headers = auth(tokens["consultant"])
    assert client.get(f"{API}/{key}/plan", headers=headers).status_code == 404
    assert client.post(f"{API}/{key}/apply", json={}, headers=headers).status_code == 404
    assert client.get(f"/templates/{key}/plan").status_code == 404
    page = client.get("/templates/fmcg/plan").get_data(as_text=True)  # a page with a form
    assert client.post(f"/templates/{key}/apply", data={"csrf_token": csrf_token(page)}).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "body"),
        ("keep", "body"),
        ({"conflicts": "maybe"}, "conflicts"),
        ({"conflict": "keep"}, "conflict"),
    ],
)
def test_bad_apply_bodies(app, web, tokens, body, field):
    count = len(applications(app))
    resp = web("consultant").post(f"{API}/fmcg/apply", json=body, headers=auth(tokens["consultant"]))
    assert resp.status_code == 422 and field in resp.get_json()["errors"], resp.get_json()
    assert len(applications(app)) == count


def test_a_bundle_with_problems_is_shown_and_refused(app, web, tokens, tmp_path, monkeypatch):
    from app.adapters import template_bundle
    from app.config import ROOT

    broken = tmp_path / "broken"
    broken.mkdir()
    manifest = yaml.safe_load((ROOT / "seed_templates/fmcg/manifest.yaml").read_text(encoding="utf-8"))
    manifest["key"] = "broken"
    (broken / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    (broken / "reference.yaml").write_text(
        "products:\n  - {code: X-1, name: 坏, product_line: NOPE, category: WATER, unit: 箱}\n",
        encoding="utf-8",
    )
    shutil.copytree(ROOT / "seed_templates/fmcg", tmp_path / "fmcg")
    monkeypatch.setattr(template_bundle, "TEMPLATES_DIR", tmp_path)
    client = web("consultant")
    page = client.get("/templates/broken/plan")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="template-problems"' in html and "reference.yaml" in html and "NOPE" in html
    assert 'data-testid="template-apply"' not in html
    count = len(applications(app))
    refused = client.post(f"{API}/broken/apply", json={}, headers=auth(tokens["consultant"]))
    assert refused.status_code == 422 and refused.get_json()["plan"]["problems"]
    assert any("reference.yaml" in name for name in refused.get_json()["errors"])
    token = csrf_token(client.get("/templates/fmcg/plan").get_data(as_text=True))
    forced = client.post("/templates/broken/apply", data={"csrf_token": token})
    assert forced.status_code == 422 and 'data-testid="template-problems"' in forced.get_data(as_text=True)
    assert len(applications(app)) == count
    with app.app_context():
        assert db.session.scalar(select(Product.id).where(Product.code == "X-1")) is None


def test_export_is_a_zip_bundle(app, web, tokens):
    resp = web("consultant").get(f"{API}/export", headers=auth(tokens["consultant"]))
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    assert "exported.zip" in resp.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(resp.data))
    names = set(archive.namelist())
    assert {"exported/manifest.yaml", "exported/reference.yaml", "exported/roles.yaml"} <= names
    assert any(n.startswith("exported/workflows/") and n.endswith(".bpmn") for n in names)
    manifest = yaml.safe_load(archive.read("exported/manifest.yaml"))
    assert manifest["key"] == "exported" and manifest["format"] == 1
    reference = yaml.safe_load(archive.read("exported/reference.yaml"))
    assert "BEV-W-550" in {p["code"] for p in reference["products"]}
    page = web("consultant").get("/templates/export")
    assert page.status_code == 200 and page.mimetype == "application/zip"
    assert "exported/manifest.yaml" in zipfile.ZipFile(io.BytesIO(page.data)).namelist()
