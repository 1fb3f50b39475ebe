"""One journey per industry template, over HTTP, on a database stood up by ``template apply <key>
--demo``: the template's dealer orders the template's SKUs, is priced by the template's policy,
and the approval flow that runs is the one the template configured (its decision table); the
sales rep asks a special price below the policy, which the price-exception flow routes to the
dealer's regional manager, who approves it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from app.adapters.clock import business_today
from app.extensions import db
from app.models import ProcessInstance, ProcessVersion, SalesOrder
from tests.conftest import api_token, auth, make_app, new_database

ROOT = Path(__file__).parents[2]
TEMPLATES = sorted(p.parent.name for p in (ROOT / "seed_templates").glob("*/manifest.yaml"))


def _bundle_file(key: str, folder: str, name: str) -> str:
    own = ROOT / "seed_templates" / key / folder / name
    return (own if own.is_file() else ROOT / folder / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("key", TEMPLATES)
def test_a_dealer_orders_under_each_template(key, tmp_path):
    root = ROOT / "seed_templates" / key
    reference = yaml.safe_load((root / "reference.yaml").read_text(encoding="utf-8"))
    demo = yaml.safe_load((root / "demo.yaml").read_text(encoding="utf-8"))
    dealer = next(u for u in demo["users"] if u["username"] == "dealer_sh1")["dealers"][0]
    inactive = {p["code"] for p in reference["products"] if p.get("status") == "inactive"}
    base = {
        r["sku"]: Decimal(str(r["price"]))
        for r in reference["price_policy"]["records"]
        if r["type"] == "base" and r["sku"] not in inactive
    }
    skus = sorted(base)[:2]
    with new_database(tmp_path) as url:
        app = make_app(url, DMS_DEMO_HISTORY="none")
        runner = app.test_cli_runner()
        assert runner.invoke(args=["dms", "init"]).exit_code == 0
        applied = runner.invoke(args=["dms", "template", "apply", key, "--demo", "--demo-history", "none"])
        assert applied.exit_code == 0, applied.output
        client = app.test_client()
        token = api_token(client, "dealer_sh1")
        body = {"dealer": dealer, "lines": [{"sku": sku, "qty": 2} for sku in skus], "note": f"{key} journey"}
        resp = client.post("/api/v1/order/", json=body, headers=auth(token))
        assert resp.status_code == 201, resp.get_json()
        order = resp.get_json()
        assert {c["kind"] for c in order["checks"]} >= {"stock", "price", "credit"}
        assert order["status"] in ("in_review", "confirmed", "submitted"), order
        with app.app_context():
            stored = db.session.get(SalesOrder, order["id"])
            assert stored.dealer.code == dealer
            # priced by the template's policy: never above the list price (discounts only lower it)
            for line in stored.lines:
                assert Decimal(line.unit_price) <= base[line.product.code]
            instance = db.session.get(ProcessInstance, stored.instance_id)
            version = db.session.get(ProcessVersion, instance.version_id)
            assert version.files["order_approval.dmn"] == _bundle_file(key, "rules", "order_approval.dmn")
            assert version.files["order_approval.bpmn"] == _bundle_file(
                key, "workflows", "order_approval.bpmn"
            )
            db.session.remove()
        _price_exception(client, dealer, skus[0])
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _price_exception(client, dealer: str, sku: str) -> None:
    rep = api_token(client, "rep_sh")
    quote = client.post(
        "/api/v1/price/quote", json={"dealer": dealer, "lines": [{"sku": sku, "qty": 10}]}, headers=auth(rep)
    )
    assert quote.status_code == 200, quote.get_json()
    policy = Decimal(quote.get_json()["lines"][0]["unit_price"])
    asked = (policy * Decimal("0.97")).quantize(Decimal("0.01"))
    body = {
        "dealer": dealer,
        "lines": [{"sku": sku, "qty": 10, "requested_price": float(asked)}],
        "reason_code": "COMPETITOR",
        "reason": "竞品低价 competitor price",
        "valid_from": business_today().isoformat(),
        "valid_to": (business_today() + timedelta(days=30)).isoformat(),
    }
    filed = client.post("/api/v1/price/special_request", json=body, headers=auth(rep))
    assert filed.status_code == 201, filed.get_json()
    made = filed.get_json()
    assert made["status"] == "pending" and made["level"] == "regional_manager", made
    rm = api_token(client, "rm_east")
    tasks = client.get("/api/v1/task/", headers=auth(rm)).get_json()["result"]
    task = next(
        t for t in tasks if t["instance_id"] == made["instance_id"] and t["element_id"] == "rm_review"
    )
    data = {"decision": "approve", "reason_code": "VOLUME", "comment": "已核实 checked"}
    done = client.post(f"/api/v1/task/{task['id']}/complete", json={"data": data}, headers=auth(rm))
    assert done.status_code == 200, done.get_json()
    shown = client.get(f"/api/v1/price/special_request/{made['id']}", headers=auth(rep)).get_json()
    assert shown["status"] == "approved" and shown["decided_by"] == "rm_east"
    again = client.post(
        "/api/v1/price/quote", json={"dealer": dealer, "lines": [{"sku": sku, "qty": 10}]}, headers=auth(rep)
    )
    assert Decimal(again.get_json()["lines"][0]["unit_price"]) == asked


ONBOARDING_USERS = ("salesops", "rm_east", "sd_east", "exec", "finance")


@pytest.mark.parametrize("key", TEMPLATES)
def test_a_dealer_is_onboarded_under_each_template(key, tmp_path):
    """The template's application form and onboarding table: an application in the demo dealer's
    region goes through every review the template's flow asks for and becomes an active dealer."""
    from app.models import Dealer, FormVersion
    from app.web.demo_onboarding import start_demo_application

    root = ROOT / "seed_templates" / key
    demo = yaml.safe_load((root / "demo.yaml").read_text(encoding="utf-8"))
    dealer_code = next(u for u in demo["users"] if u["username"] == "dealer_sh1")["dealers"][0]
    region = next(d for d in demo["dealers"] if d["code"] == dealer_code)["region"]
    with new_database(tmp_path) as url:
        app = make_app(url, DMS_DEMO_HISTORY="none", DMS_UPLOAD_DIR=str(tmp_path / "uploads"))
        runner = app.test_cli_runner()
        assert runner.invoke(args=["dms", "init"]).exit_code == 0
        applied = runner.invoke(args=["dms", "template", "apply", key, "--demo", "--demo-history", "none"])
        assert applied.exit_code == 0, applied.output
        with app.app_context():
            # auto_parts adds two fields to its application that are custom dealer fields too
            extra = {"vehicle_makes": "大众、丰田", "repair_shops": 12} if key == "auto_parts" else None
            start_demo_application(region, name=f"{key} 入驻测试有限公司", extra=extra)
            instance = db.session.scalar(select(ProcessInstance).order_by(ProcessInstance.id.desc()))
            version = db.session.get(ProcessVersion, instance.version_id)
            assert version.files["onboarding_approval.dmn"] == _bundle_file(
                key, "rules", "onboarding_approval.dmn"
            )
            form = (root / "forms" / "dealer_application.schema.json").is_file()
            stored = db.session.scalar(select(FormVersion).where(FormVersion.name == "dealer_application"))
            assert (stored is not None) == form  # the template's own form is stored and used
            instance_id = instance.id
            db.session.remove()
        client = app.test_client()
        tokens = {u: api_token(client, u) for u in ONBOARDING_USERS}
        steps = []
        for _ in range(8):
            found = None
            for user in ONBOARDING_USERS:
                tasks = client.get("/api/v1/task/", headers=auth(tokens[user])).get_json()["result"]
                found = next((t for t in tasks if t["instance_id"] == instance_id), None)
                if found:
                    break
            if found is None:
                break
            steps.append((found["element_id"], user))
            data = (
                {"credit_limit": 80000, "payment_terms_days": 30}
                if found["form"] == "onboarding_credit"
                else {"decision": "approve", "comment": "资料齐全 complete"}
            )
            done = client.post(
                f"/api/v1/task/{found['id']}/complete", json={"data": data}, headers=auth(tokens[user])
            )
            assert done.status_code == 200, (found, done.get_json())
        assert steps[0][0] == "qualification_review" and len(steps) >= 3, steps
        with app.app_context():
            dealer = db.session.scalar(select(Dealer).where(Dealer.name == f"{key} 入驻测试有限公司"))
            assert dealer is not None and dealer.status == "active", steps
            assert dealer.region.code == region and dealer.credit_limit == 80000
            assert dealer.custom == extra
            db.session.remove()
            db.engine.dispose()
