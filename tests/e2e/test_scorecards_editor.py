"""KPI set editor (API and page): refused texts (weights not 100 %, an unknown metric) name the
file, KPI and field and leave the stored set unchanged; a good text is a new, audited version.
Dealer targets from Excel: a bad row named by row and column, nothing written; a good file
changes the attainment; export in scope. Pages: ranking, export and the dealer page's scorecard
tab with its suggestions, in each role's scope."""

from __future__ import annotations

import time
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from tests.conftest import auth, csrf_token, web_login
from tests.scorecard_helpers import PERIOD, scorecard_app


@pytest.fixture(scope="module")
def app(database_url):
    application = scorecard_app(database_url)
    yield application
    from app.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def stored(app, key="default"):
    from app.extensions import db
    from app.models import KpiSetRecord

    with app.app_context():
        found = db.session.query(KpiSetRecord).filter_by(key=key).one()
        return found.version, found.yaml_text


def test_refused_sets_change_nothing(app, tokens):
    client = app.test_client()
    version, text = stored(app)
    heavier = text.replace("weight: 30", "weight: 35", 1)
    unknown = text.replace("metric: order_on_time_rate", "metric: on_time_magic", 1)
    for bad, words in ((heavier, "100"), (unknown, "on_time_magic")):
        resp = client.put("/api/v1/kpi_set/default", json={"yaml": bad}, headers=auth(tokens["admin"]))
        assert resp.status_code == 422, resp.get_data(as_text=True)
        body = resp.get_json()
        assert words in body["message"]
        assert all(p["file"] == "kpi_set/default.yaml" for p in body["problems"])
    problems = client.put("/api/v1/kpi_set/default", json={"yaml": unknown}, headers=auth(tokens["admin"]))
    assert any(p["kpi"] == "timeliness" and p["field"] == "metric" for p in problems.get_json()["problems"])
    assert stored(app) == (version, text)
    # not allowed for an executive; the key cannot change
    assert (
        client.put("/api/v1/kpi_set/default", json={"yaml": text}, headers=auth(tokens["exec"])).status_code
        == 403
    )
    renamed = text.replace("key: default", "key: other", 1)
    assert (
        client.put(
            "/api/v1/kpi_set/default", json={"yaml": renamed}, headers=auth(tokens["admin"])
        ).status_code
        == 422
    )
    assert stored(app) == (version, text)


def test_saving_a_new_version_is_audited(app, tokens):
    from app.extensions import db
    from app.models import AuditLog

    client = app.test_client()
    version, text = stored(app, "quarterly")
    edited = text.replace("weight: 35", "weight: 30", 1).replace("weight: 20", "weight: 25", 1)
    resp = client.put(
        "/api/v1/kpi_set/quarterly", data=edited, content_type="text/yaml", headers=auth(tokens["admin"])
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["version"] == version + 1
    assert stored(app, "quarterly") == (version + 1, edited)
    with app.app_context():
        assert db.session.query(AuditLog).filter_by(entity="KpiSetRecord", action="update").count() >= 1
    shown = client.get("/api/v1/kpi_set/quarterly", headers=auth(tokens["dealer_sh1"])).get_json()
    assert shown["yaml"] == edited


def test_editor_page_shows_problems_beside_the_text(app):
    client = app.test_client()
    web_login(client, "admin", __import__("tests.conftest", fromlist=["ADMIN_PASSWORD"]).ADMIN_PASSWORD)
    page = client.get("/scorecards/sets/default")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    version, text = stored(app)
    bad = text.replace("weight: 30", "weight: 31", 1)
    resp = client.post(
        "/scorecards/sets/default", data={"yaml": bad, "action": "save", "csrf_token": csrf_token(html)}
    )
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert 'data-testid="kpi-problems"' in body and "kpi_set/default.yaml" in body
    assert stored(app) == (version, text)
    assert "default" in client.get("/scorecards/sets/").get_data(as_text=True)
    assert client.get("/scorecards/targets/import").status_code == 200
    template = client.get("/scorecards/targets/template")
    assert template.status_code == 200 and load_workbook(BytesIO(template.data)).active.max_column == 5


def _targets(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["dealer", "period_kind", "period", "metric", "target"])
    for row in rows:
        sheet.append(list(row))
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _import(client, token, content, mode="upsert"):
    resp = client.post(
        "/api/v1/dealer_target/import",
        data={"file": (BytesIO(content), "targets.xlsx"), "mode": mode, "all_or_nothing": "true"},
        headers=auth(token),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 202, resp.get_data(as_text=True)
    body = resp.get_json()
    deadline = time.monotonic() + 60
    while body["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.05)
        body = client.get(f"/api/v1/dealer_target/import/{body['id']}", headers=auth(token)).get_json()
    return body


def test_targets_import_names_bad_rows_and_writes_nothing(app, tokens):
    client = app.test_client()

    def card():
        return client.get(
            f"/api/v1/scorecard/D-SH-2?period={PERIOD}", headers=auth(tokens["rm_sh"])
        ).get_json()

    assert {k["key"]: k for k in card()["kpis"]}["attainment"]["value"] is None
    bad = _targets(
        [
            ("D-SH-2", "month", PERIOD, "sales_amount", 4000),
            ("D-GD-1", "month", PERIOD, "sales_amount", 100),  # outside rm_sh's scope
            ("D-SH-2", "month", "2026-13", "sales_amount", 5),
            ("D-SH-2", "month", PERIOD, "no_metric", 1),
            ("D-SH-2", "month", PERIOD, "order_on_time_rate", -1),
        ]
    )
    job = _import(client, tokens["rm_sh"], bad)
    problems = {(e["row"], e["column"]) for e in job["report"]["errors"]}
    assert {(3, "dealer"), (4, "period"), (5, "metric"), (6, "target")} <= problems
    assert job["report"]["written"] is False
    assert {k["key"]: k for k in card()["kpis"]}["attainment"]["value"] is None
    good = _import(client, tokens["rm_sh"], _targets([("D-SH-2", "month", PERIOD, "sales_amount", 4000)]))
    assert good["report"]["inserted"] == 1, good
    assert {k["key"]: k for k in card()["kpis"]}["attainment"]["value"] == "0.5000"  # 2,000 of 4,000
    export = client.get("/api/v1/dealer_target/export", headers=auth(tokens["rm_sh"]))
    rows = list(load_workbook(BytesIO(export.data)).active.iter_rows(min_row=2, values_only=True))
    assert {r[0] for r in rows} == {"D-SH-1", "D-SH-2"}
    gd = client.get("/api/v1/dealer_target/export", headers=auth(tokens["dealer_gd1"]))
    assert list(load_workbook(BytesIO(gd.data)).active.iter_rows(min_row=2, values_only=True)) == []


PAGE_SCOPES = {
    "exec": {"D-SH-1", "D-SH-2", "D-JS-1", "D-GD-1"},
    "rm_sh": {"D-SH-1", "D-SH-2"},
    "rep": {"D-SH-1", "D-GD-1"},
    "dealer_gd1": {"D-GD-1"},
}


@pytest.mark.parametrize("user", sorted(PAGE_SCOPES))
def test_ranking_page_and_export_keep_to_the_scope(app, user):
    client = app.test_client()
    web_login(client, user)
    html = client.get(f"/scorecards/?set=default&period={PERIOD}").get_data(as_text=True)
    assert 'data-testid="ranking"' in html and "echarts.min.js" in html
    for code in PAGE_SCOPES["exec"]:
        assert (f">{code}</a>" in html) == (code in PAGE_SCOPES[user]), (user, code)
    export = client.get(f"/scorecards/export?set=default&period={PERIOD}")
    rows = list(load_workbook(BytesIO(export.data)).active.iter_rows(min_row=2, values_only=True))
    assert {r[0] for r in rows} == PAGE_SCOPES[user]


def test_dealer_page_shows_the_scorecard_and_suggestions(app):
    from app.extensions import db
    from app.models import Dealer

    with app.app_context():
        sh1 = db.session.query(Dealer).filter_by(code="D-SH-1").one().id
    client = app.test_client()
    web_login(client, "dealer_sh1")
    html = client.get(f"/dealerview/show/{sh1}?period={PERIOD}").get_data(as_text=True)
    assert 'id="tab-scorecard"' in html and 'data-testid="suggestions"' in html
    assert 'data-key="promote_aged_stock"' in html and 'data-key="renew_qualification"' in html
    card = client.get(f"/scorecards/dealer/D-SH-1?period={PERIOD}").get_data(as_text=True)
    assert 'data-key="promote_aged_stock"' in card
    assert client.get(f"/scorecards/dealer/D-GD-1?period={PERIOD}").status_code == 302  # not its own
