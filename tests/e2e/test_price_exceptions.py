"""Price monitoring end to end over HTTP: special-price requests reviewed at the depth the tolerance
table gives (regional manager of the dealer's region, sales director, executives' countersign),
approval turning into a special price that wins in a quote, rejection, escalation on time-out,
filing scope, and the exceptions report (JSON and xlsx)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from app.adapters.clock import business_today
from tests.conftest import PASSWORD, api_token, auth, csrf_token, init_world, make_app, web_login

TODAY = business_today()


@pytest.fixture(scope="module")
def app(database_url):
    from app.adapters import pricing_admin
    from app.adapters.unit_of_work import SqlUnitOfWork
    from app.extensions import db
    from app.models import Product, ProductLine
    from app.services.users import NewUser, create_user

    application = make_app(database_url)
    init_world(application)
    with application.app_context():
        for user in (
            NewUser("sd_east", ("SalesDirector",), regions=("EAST",), password=PASSWORD),
            NewUser("rm_south", ("RegionalManager",), regions=("SOUTH",), password=PASSWORD),
            NewUser("exec2", ("Executive",), password=PASSWORD),
        ):
            create_user(SqlUnitOfWork(db.session, application.extensions["dms_roles"]), user)
        bev, snk = ProductLine(code="BEV", name="饮料"), ProductLine(code="SNK", name="休闲食品")
        db.session.add_all(
            [
                bev,
                snk,
                Product(code="BEV-W-550", name="矿泉水 550ml", product_line=bev),
                Product(code="SNK-B-100", name="苏打饼干 100g", product_line=snk),
            ]
        )
        db.session.flush()
        draft = pricing_admin.create_draft(db.session, "finance")
        for sku, price in (("BEV-W-550", "40.00"), ("SNK-B-100", "20.00")):
            values = pricing_admin.record_values(db.session, {"type": "base", "sku": sku, "price": price})
            pricing_admin.add_record(db.session, draft, values)
        pricing_admin.publish(db.session, draft, None, "finance")
        db.session.commit()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def tokens(app):
    client = app.test_client()
    users = ("rep", "rm_sh", "rm_east", "rm_south", "sd_east", "exec", "exec2", "dealer_sh1", "dealer_gd1")
    return {u: api_token(client, u) for u in users}


def request_body(dealer: str, sku: str, qty: int, price: float, reason_code: str = "COMPETITOR") -> dict:
    return {
        "dealer": dealer,
        "lines": [{"sku": sku, "qty": qty, "requested_price": price}],
        "reason_code": reason_code,
        "reason": "竞品在同一门店低价促销",
        "valid_from": TODAY.isoformat(),
        "valid_to": (TODAY + timedelta(days=30)).isoformat(),
    }


def file(client, token: str, body: dict, expect: int = 201) -> dict:
    resp = client.post("/api/v1/price/special_request", json=body, headers=auth(token))
    assert resp.status_code == expect, resp.get_json()
    return resp.get_json()


def inbox_task(client, token: str, instance_id: int, element: str) -> dict | None:
    tasks = client.get("/api/v1/task/", headers=auth(token)).get_json()["result"]
    return next((t for t in tasks if t["instance_id"] == instance_id and t["element_id"] == element), None)


def decide(client, token: str, task_id: int, decision: str, reason_code: str = "VOLUME", expect: int = 200):
    data = {"decision": decision, "reason_code": reason_code, "comment": "已核实 checked"}
    resp = client.post(f"/api/v1/task/{task_id}/complete", json={"data": data}, headers=auth(token))
    assert resp.status_code == expect, resp.get_json()


def show(client, token: str, exception_id: int) -> dict:
    resp = client.get(f"/api/v1/price/special_request/{exception_id}", headers=auth(token))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_approved_request_is_reviewed_in_its_region_and_becomes_the_special_price(app, tokens):
    from app.extensions import db
    from app.models import Notification, SpecialPrice

    client = app.test_client()
    made = file(client, tokens["rep"], request_body("D-SH-1", "BEV-W-550", 100, 38.8))
    assert made["status"] == "pending" and made["level"] == "regional_manager"
    assert made["lines"][0]["policy_price"] == "40.0000" and made["lines"][0]["deviation_pct"] == "-3.00"
    assert made["lines"][0]["deviation_amount"] == "120.0000"

    assert inbox_task(client, tokens["rm_south"], made["instance_id"], "rm_review") is None
    assert inbox_task(client, tokens["sd_east"], made["instance_id"], "rm_review") is None
    task = inbox_task(client, tokens["rm_sh"], made["instance_id"], "rm_review")
    assert task is not None and task["form"] == "price_review"
    decide(client, tokens["rm_south"], task["id"], "approve", expect=404)  # another region's manager
    decide(client, tokens["rm_sh"], task["id"], "approve", reason_code="", expect=422)  # code required
    decide(client, tokens["rm_sh"], task["id"], "approve")

    done = show(client, tokens["rep"], made["id"])
    assert done["status"] == "approved" and done["decided_by"] == "rm_sh"
    assert done["decision_reason_code"] == "VOLUME"
    with app.app_context():
        special = db.session.query(SpecialPrice).filter_by(reference=made["business_key"]).one()
        assert str(special.price) == "38.8000" and special.valid_to == TODAY + timedelta(days=30)
        titles = [n.title for n in db.session.query(Notification).filter_by(kind="price_exception")]
        assert any("approved" in t and made["business_key"] in t for t in titles)
    quote = client.post(
        "/api/v1/price/quote",
        json={"dealer": "D-SH-1", "lines": [{"sku": "BEV-W-550", "qty": 10}]},
        headers=auth(tokens["rep"]),
    )
    assert quote.status_code == 200, quote.get_json()
    assert quote.get_json()["lines"][0]["unit_price"] == "38.8000"


def test_rejected_request_tells_the_requester_and_creates_no_special_price(app, tokens):
    from app.extensions import db
    from app.models import Notification, SpecialPrice

    client = app.test_client()
    made = file(client, tokens["rep"], request_body("D-SH-1", "SNK-B-100", 50, 18))  # 10 % below
    assert made["level"] == "sales_director"
    assert inbox_task(client, tokens["rm_sh"], made["instance_id"], "sd_review") is None
    task = inbox_task(client, tokens["sd_east"], made["instance_id"], "sd_review")
    decide(client, tokens["sd_east"], task["id"], "reject", reason_code="OTHER")
    done = show(client, tokens["rep"], made["id"])
    assert done["status"] == "rejected" and done["decided_by"] == "sd_east"
    with app.app_context():
        assert db.session.query(SpecialPrice).filter_by(reference=made["business_key"]).count() == 0
        rep_notes = db.session.query(Notification).filter(Notification.title.contains(made["business_key"]))
        assert any("rejected" in n.title and n.user_id is not None for n in rep_notes)


def test_largest_deviation_needs_two_executives(app, tokens):
    client = app.test_client()
    made = file(client, tokens["dealer_sh1"], request_body("D-SH-1", "SNK-B-100", 10, 10))  # 50 % below
    assert made["level"] == "countersign"
    tasks = [
        t
        for t in client.get("/api/v1/task/", headers=auth(tokens["exec"])).get_json()["result"]
        if t["instance_id"] == made["instance_id"]
    ]
    assert [t["element_id"] for t in tasks] == ["exec_countersign", "exec_countersign"]
    decide(client, tokens["exec"], tasks[0]["id"], "approve", reason_code="CLEARANCE")
    assert show(client, tokens["exec"], made["id"])["status"] == "pending"
    decide(client, tokens["exec2"], tasks[1]["id"], "approve", reason_code="CLEARANCE")
    done = show(client, tokens["exec"], made["id"])
    assert done["status"] == "approved" and done["decided_by"] == "exec, exec2"


def test_within_tolerance_is_approved_at_once(app, tokens):
    client = app.test_client()
    made = file(client, tokens["rep"], request_body("D-GD-1", "BEV-W-550", 5, 39.8))  # 0.5 % below
    assert made["level"] == "none" and made["status"] == "approved" and made["decided_by"] == "system"


def test_a_late_review_escalates_to_the_sales_director(app, tokens, monkeypatch):
    from datetime import datetime as real_datetime

    from SpiffWorkflow.bpmn.specs.event_definitions import timer

    from app.engine import waits
    from app.extensions import db
    from app.models import PriceException
    from app.models.base import utcnow

    client = app.test_client()
    # the special price of the first test (38.80) is now D-SH-1's policy price: 37.64 is 3 % below
    made = file(client, tokens["rep"], request_body("D-SH-1", "BEV-W-550", 20, 37.64))
    assert made["level"] == "regional_manager"

    class Later(real_datetime):
        @classmethod
        def now(cls, tz=None):
            return real_datetime.now(tz) + timedelta(days=3)

    monkeypatch.setattr(timer, "datetime", Later)
    with app.app_context():
        assert waits.fire_due_timers(db.session, now=utcnow() + timedelta(days=3)) >= 1
        assert db.session.get(PriceException, made["id"]).escalated is True
    assert inbox_task(client, tokens["rm_sh"], made["instance_id"], "rm_review") is None
    task = inbox_task(client, tokens["sd_east"], made["instance_id"], "sd_review")
    decide(client, tokens["sd_east"], task["id"], "approve", reason_code="COMPETITOR")
    assert show(client, tokens["rep"], made["id"])["status"] == "approved"


def test_filing_scope_and_bad_input(app, tokens):
    client = app.test_client()
    file(client, tokens["dealer_gd1"], request_body("D-SH-1", "BEV-W-550", 5, 30), expect=404)
    file(client, tokens["rep"], request_body("D-SH-2", "BEV-W-550", 5, 30), expect=404)  # not its dealer
    bad = file(client, tokens["rep"], request_body("D-SH-1", "NOPE-1", 5, 30), expect=422)
    assert "lines/0/sku" in bad["errors"]
    body = request_body("D-SH-1", "BEV-W-550", 5, 30)
    body["valid_to"] = (TODAY - timedelta(days=1)).isoformat()
    assert "valid_to" in file(client, tokens["rep"], body, expect=422)["errors"]
    body = request_body("D-SH-1", "BEV-W-550", 0, 30)
    assert "lines/0/qty" in file(client, tokens["rep"], body, expect=422)["errors"]
    resp = client.get("/api/v1/price/special_request/1", headers=auth(tokens["dealer_gd1"]))
    assert resp.status_code == 404


def test_exceptions_report_by_dealer_region_and_product(app, tokens):
    client = app.test_client()
    resp = client.get(
        f"/api/v1/price/exceptions?group_by=dealer&from={TODAY}&to={TODAY}", headers=auth(tokens["exec"])
    )
    assert resp.status_code == 200, resp.get_json()
    rows = {r["code"]: r for r in resp.get_json()["result"]}
    # D-SH-1: approved 3 (3 %, countersign, escalated), rejected 1; D-GD-1: the one within tolerance
    assert rows["D-SH-1"]["exceptions"] == 4 and rows["D-SH-1"]["approved"] == 3
    assert rows["D-SH-1"]["rejected"] == 1 and rows["D-SH-1"]["pending"] == 0
    # below policy: 100 × 1.20 + 50 × 2 + 10 × 10 + 20 × 1.16
    assert rows["D-SH-1"]["deviation_amount"] == "343.20"
    assert rows["D-GD-1"]["deviation_amount"] == "1.00"

    by_region = client.get("/api/v1/price/exceptions?group_by=region", headers=auth(tokens["rm_east"]))
    assert [r["code"] for r in by_region.get_json()["result"]] == ["SH"]  # GD is outside EAST
    by_product = client.get("/api/v1/price/exceptions?group_by=product", headers=auth(tokens["exec"]))
    products = {r["code"]: r for r in by_product.get_json()["result"]}
    assert products["SNK-B-100"]["exceptions"] == 2 and products["SNK-B-100"]["deviation_amount"] == "200.00"
    assert products["BEV-W-550"]["exceptions"] == 3 and products["BEV-W-550"]["deviation_amount"] == "144.20"

    export = client.get("/api/v1/price/exceptions?group_by=dealer&format=xlsx", headers=auth(tokens["exec"]))
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "code" and {v[0] for v in values[1:]} == {"D-SH-1", "D-GD-1"}
    assert (
        client.get("/api/v1/price/exceptions?group_by=colour", headers=auth(tokens["exec"])).status_code
        == 422
    )
    assert (
        client.get("/api/v1/price/exceptions?from=yesterday", headers=auth(tokens["exec"])).status_code == 422
    )


def test_request_pages_file_show_and_report(app, tokens):
    import re

    page = app.test_client()
    assert web_login(page, "rep").status_code == 302
    form = page.get("/price/requests/new").get_data(as_text=True)
    assert "申请单价" in form and "D-SH-1" in form and "D-SH-2" not in form  # only the rep's dealers
    data = {
        "csrf_token": csrf_token(form),
        "dealer": "D-GD-1",
        "lines[0][sku]": "SNK-B-100",
        "lines[0][qty]": "5",
        "lines[0][requested_price]": "19.5",
        "reason_code": "KEY_ACCOUNT",
        "reason": "门店开业",
        "valid_from": TODAY.isoformat(),
        "valid_to": "",
    }
    refused = page.post("/price/requests/new", data=data)
    assert refused.status_code == 422 and "valid_to" in refused.get_data(as_text=True)
    data["valid_to"] = (TODAY + timedelta(days=7)).isoformat()
    filed = page.post("/price/requests/new", data=data)
    assert filed.status_code == 302, filed.get_data(as_text=True)[:2000]
    shown = page.get(filed.headers["Location"]).get_data(as_text=True)
    assert 'data-status="pending"' in shown and "SNK-B-100" in shown and "-2.50" in shown
    listing = page.get("/price/requests/").get_data(as_text=True)
    assert re.search(r"SPR-\d{6}", listing)
    report = page.get("/price/exceptions/?group_by=region").get_data(as_text=True)
    assert 'data-code="GD"' in report and 'data-code="SH"' in report
    export = page.get("/price/exceptions/?group_by=product&format=xlsx")
    assert export.status_code == 200 and export.data[:2] == b"PK"

    other = app.test_client()
    web_login(other, "dealer_gd1")
    pk = filed.headers["Location"].rstrip("/").split("/")[-1]
    assert other.get(f"/price/requests/{pk}").status_code == 200  # its own dealer
    assert other.get("/price/requests/1").status_code == 404  # D-SH-1's request
