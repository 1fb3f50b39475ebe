"""Dealer onboarding end to end over HTTP: the public sign-up page, automatic checks, send back and
resubmit, sales ops review, regional manager approval (scoped to the region), the decision table's
executive approval, finance terms, and the dealer with its first user."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest

from app.domain.uscc import check_character
from tests.conftest import (
    ADMIN_PASSWORD,
    PASSWORD,
    api_token,
    auth,
    csrf_token,
    init_world,
    make_app,
    web_login,
)

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def uscc(body: str) -> str:
    """A valid USCC from its first 17 characters."""
    return body + check_character(body)


@pytest.fixture(scope="module")
def upload_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("uploads")


@pytest.fixture(scope="module")
def app(database_url, upload_dir):
    from app.adapters.unit_of_work import SqlUnitOfWork
    from app.extensions import db
    from app.services.users import NewUser, create_user

    application = make_app(
        database_url, DMS_UPLOAD_DIR=str(upload_dir), DMS_SIGNUP_RATE_LIMIT="1000 per minute"
    )
    init_world(application)
    with application.app_context():
        for user in (
            NewUser("salesops", ("SalesOps",), password=PASSWORD),
            NewUser("rm_south", ("RegionalManager",), regions=("SOUTH",), password=PASSWORD),
        ):
            create_user(SqlUnitOfWork(db.session, application.extensions["dms_roles"]), user)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def tokens(app):
    client = app.test_client()
    return {u: api_token(client, u) for u in ("salesops", "rm_south", "rm_east", "rm_sh", "finance", "exec")}


def application_form(name: str, code: str, region: str, tier: str = "T2", band: str = "R1") -> dict:
    return {
        "company_name": name,
        "uscc": code,
        "region": region,
        "tier": tier,
        "revenue_band": band,
        "staff_count": "12",
        "contact[name]": "王经理",
        "contact[phone]": "13800000000",
        "contact[email]": f"wang.{code[-6:].lower()}@example.com",  # the first user's: one per dealer
        "address[address]": "广州市天河区体育西路 1 号",
        "business_license[number]": "440100000000001",
        "business_license[valid_to]": "2099-12-31",
    }


def apply(client, form: dict, scan: bytes = PDF) -> str:
    """Post the public sign-up form; returns the status token."""
    page = client.get("/signup/")
    assert page.status_code == 200
    data = {**form, "csrf_token": csrf_token(page.get_data(as_text=True))}
    data["business_license[scan]"] = (io.BytesIO(scan), "licence.pdf")
    resp = client.post("/signup/", data=data, content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:3000]
    match = re.search(r"/signup/status/([A-Za-z0-9_-]+)", resp.get_data(as_text=True))
    assert match, "no status link"
    return match.group(1)


def status(client, token: str) -> tuple[str, str]:
    html = client.get(f"/signup/status/{token}").get_data(as_text=True)
    return re.search(r'data-outcome="([a-z_]+)"', html).group(1), html


def resubmit(client, token: str, form: dict, changes: dict) -> None:
    """Post the corrected application (the kept scan travels as its hidden token)."""
    _, html = status(client, token)
    hidden = {
        name: value
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
        if name != "csrf_token"
    }
    resp = client.post(
        f"/signup/status/{token}",
        data={**form, **hidden, **changes, "csrf_token": csrf_token(html)},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]


def instance_of(app, token: str):
    from app.extensions import db
    from app.models import ProcessInstance
    from app.web.onboarding import token_hash

    with app.app_context():
        instance = db.session.query(ProcessInstance).filter_by(business_key=token_hash(token)).one()
        return instance.id


def open_task(app, instance_id: int, element: str) -> int:
    from app.extensions import db
    from app.models import HumanTask

    with app.app_context():
        task = (
            db.session.query(HumanTask)
            .filter_by(instance_id=instance_id, element_id=element, state="open")
            .one_or_none()
        )
        assert task is not None, f"no open task {element}"
        return task.id


def complete(client, token: str, task_id: int, data: dict, expect: int = 200):
    resp = client.post(f"/api/v1/task/{task_id}/complete", json={"data": data}, headers=auth(token))
    assert resp.status_code == expect, resp.get_json()
    return resp


def test_public_application_through_checks_reviews_and_finance_creates_the_dealer(app, tokens):
    from app.extensions import db
    from app.models import Dealer, DealerQualification, StoredFile, UserScope

    api = app.test_client()
    applicant = app.test_client()
    good = uscc("91440100MA5AB0001")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    form = application_form("广州新粤商贸有限公司", bad, "GD")
    token = apply(applicant, form)
    outcome, html = status(applicant, token)
    assert outcome == "returned"
    assert "uscc" in html and "check character" in html.lower() or "校验" in html

    resubmit(applicant, token, form, {"uscc": good})
    assert status(applicant, token)[0] == "in_review"
    instance_id = instance_of(app, token)

    review = open_task(app, instance_id, "qualification_review")
    reviewer = app.test_client()
    web_login(reviewer, "salesops", PASSWORD)
    page = reviewer.get(f"/inbox/task/{review}").get_data(as_text=True)
    # the application is shown as its form, read-only, with the scan as a download link
    assert 'data-testid="earlier-step"' in page and "广州新粤商贸有限公司" in page
    assert re.search(r'href="/files/[0-9a-f]{32}"', page)
    complete(api, tokens["salesops"], review, {"decision": "approve", "comment": "资质齐全"})

    regional = open_task(app, instance_id, "regional_review")
    # a regional manager of another region neither sees nor completes it
    assert api.get(f"/api/v1/task/{regional}", headers=auth(tokens["rm_east"])).status_code == 404
    complete(api, tokens["rm_east"], regional, {"decision": "approve"}, expect=404)
    listed = api.get("/api/v1/task/", headers=auth(tokens["rm_east"])).get_json()["result"]
    assert regional not in [t["id"] for t in listed]
    assert (
        api.get(f"/api/v1/process_instance/{instance_id}", headers=auth(tokens["rm_east"])).status_code == 404
    )
    complete(api, tokens["rm_south"], regional, {"decision": "approve"})

    terms = open_task(app, instance_id, "credit_terms")  # tier 2, small: no executive approval
    complete(api, tokens["finance"], terms, {"credit_limit": 50000.5, "payment_terms_days": 30})

    outcome, html = status(applicant, token)
    assert outcome == "approved"
    username = re.search(r'data-testid="dealer-username">([^<]+)<', html).group(1)
    with app.app_context():
        dealer = db.session.query(Dealer).filter_by(uscc=good).one()
        assert (dealer.status, dealer.region.code, dealer.credit_limit, dealer.payment_terms_days) == (
            "active",
            "GD",
            Decimal("50000.50"),
            30,
        )
        assert dealer.code.startswith("D-GD-") and username == dealer.code.lower()
        qualification = db.session.query(DealerQualification).filter_by(dealer_id=dealer.id).one()
        assert qualification.kind == "business_license" and len(qualification.file_token) == 32
        assert (
            db.session.query(StoredFile).filter_by(token=qualification.file_token).one().dealer_id
            == dealer.id
        )
        assert [c.name for c in dealer.contacts] == ["王经理"]
        assert len(dealer.addresses) == 1
        scope = db.session.query(UserScope).join(UserScope.user).filter_by(username=username).one()
        assert scope.company_id == dealer.id
        dealer_id = dealer.id

    # the applicant sets the new user's password on the status page, then logs in
    page = applicant.get(f"/signup/status/{token}").get_data(as_text=True)
    resp = applicant.post(
        f"/signup/status/{token}/password",
        data={"password": "new-dealer-pw1", "confirm": "new-dealer-pw1", "csrf_token": csrf_token(page)},
    )
    assert resp.status_code == 302
    dealer_token = api_token(api, username, "new-dealer-pw1")
    listed = api.get("/api/v1/dealer/", headers=auth(dealer_token)).get_json()
    assert [d["id"] for d in listed["result"]] == [dealer_id] or listed["ids"] == [dealer_id]
    # once the user has logged in, the status link can no longer set a password
    resp = applicant.post(
        f"/signup/status/{token}/password",
        data={"password": "attacker-pw1", "confirm": "attacker-pw1", "csrf_token": csrf_token(page)},
    )
    assert resp.status_code == 404


def test_return_with_reason_resubmit_then_final_rejection(app, tokens):
    api = app.test_client()
    applicant = app.test_client()
    form = application_form("上海退回测试商贸有限公司", uscc("91310000MA1FL0002"), "SH")
    token = apply(applicant, form)
    instance_id = instance_of(app, token)
    review = open_task(app, instance_id, "qualification_review")
    complete(api, tokens["salesops"], review, {"decision": "return"}, expect=422)  # a reason is required
    complete(api, tokens["salesops"], review, {"decision": "return", "comment": "营业执照扫描件看不清"})

    outcome, html = status(applicant, token)
    assert outcome == "returned" and "营业执照扫描件看不清" in html
    # the correction task is not in anybody's inbox
    assert api.get("/api/v1/task/", headers=auth(tokens["salesops"])).get_json()["count"] == 0
    resubmit(applicant, token, form, {"business_license[scan]": (io.BytesIO(PDF), "clear.pdf")})
    assert status(applicant, token)[0] == "in_review"

    complete(
        api, tokens["salesops"], open_task(app, instance_id, "qualification_review"), {"decision": "approve"}
    )
    regional = open_task(app, instance_id, "regional_review")
    complete(api, tokens["rm_south"], regional, {"decision": "approve"}, expect=404)
    complete(api, tokens["rm_sh"], regional, {"decision": "reject", "comment": "区域内经销商已饱和"})
    assert status(applicant, token)[0] == "rejected"


def test_decision_table_sends_key_accounts_to_executive_approval(app, tokens):
    api = app.test_client()
    applicant = app.test_client()
    form = application_form("深圳大客户连锁有限公司", uscc("91440300MA5CD0003"), "GD", tier="KA", band="R2")
    token = apply(applicant, form)
    instance_id = instance_of(app, token)
    complete(
        api, tokens["salesops"], open_task(app, instance_id, "qualification_review"), {"decision": "approve"}
    )
    complete(api, tokens["rm_south"], open_task(app, instance_id, "regional_review"), {"decision": "approve"})
    executive = open_task(app, instance_id, "executive_review")
    complete(api, tokens["exec"], executive, {"decision": "approve"})
    open_task(app, instance_id, "credit_terms")


def test_honeypot_and_foreign_files_start_nothing(app):
    from app.extensions import db
    from app.models import ProcessInstance

    with app.app_context():
        before = db.session.query(ProcessInstance).count()
    bot = app.test_client()
    page = bot.get("/signup/").get_data(as_text=True)
    form = application_form("机器人公司", uscc("91310000MA1FL0009"), "SH")
    resp = bot.post("/signup/", data={**form, "website": "http://spam", "csrf_token": csrf_token(page)})
    assert resp.status_code == 200 and "/signup/status/" not in resp.get_data(as_text=True)
    # a token of a file this browser did not upload is refused
    resp = bot.post(
        "/signup/",
        data={**form, "business_license[scan]": "0" * 32, "csrf_token": csrf_token(page)},
    )
    assert resp.status_code == 422
    # without the CSRF token nothing is accepted
    assert bot.post("/signup/", data=form).status_code == 400
    with app.app_context():
        assert db.session.query(ProcessInstance).count() == before


def test_unknown_status_token_is_404(client):
    assert client.get("/signup/status/" + "x" * 32).status_code == 404


def test_a_field_added_to_the_application_and_the_dealer_is_kept_on_the_dealer(app, tokens):
    """An administrator adds 主营品牌 to the application form and to the dealer's custom fields
    (``dealer_custom``, stricter): a value the dealer's form would refuse sends the application
    back naming the field; the corrected value ends up in the new dealer's custom fields."""
    import json
    from pathlib import Path

    from flask_appbuilder.security.sqla.models import User

    from app.extensions import db
    from app.models import Dealer

    api = app.test_client()
    admin = api_token(api, "admin", ADMIN_PASSWORD)
    shipped = json.loads(Path("forms/dealer_application.schema.json").read_text(encoding="utf-8"))
    title = {"zh_CN": "主营品牌", "en": "Brand focus"}
    shipped["properties"]["brand_focus"] = {"type": "string", "maxLength": 50, "title": title}
    custom = {
        "type": "object",
        "properties": {"brand_focus": {"type": "string", "maxLength": 6, "title": title}},
    }
    for name, schema in (("dealer_application", shipped), ("dealer_custom", custom)):
        resp = api.post("/api/v1/form/", json={"name": name, "schema": schema}, headers=auth(admin))
        assert resp.status_code in (200, 201), resp.get_json()

    applicant = app.test_client()
    good = uscc("91440100MA5AB0011")
    # the contact's e-mail is already the first test's dealer user's: sent back as well
    with app.app_context():
        first = db.session.query(Dealer).filter_by(name="广州新粤商贸有限公司").one()  # the first test's
        taken = db.session.query(User).filter_by(username=first.code.lower()).one().email
    form = {
        **application_form("广州品牌商贸有限公司", good, "GD"),
        "brand_focus": "饮料、零食、日化和酒水",
        "contact[email]": taken.upper(),
    }
    token = apply(applicant, form)
    outcome, html = status(applicant, token)
    assert outcome == "returned" and "brand_focus" in html and "dealer_custom" not in html
    assert "contact/email" in html or "已属于" in html
    resubmit(applicant, token, form, {"brand_focus": "饮料", "contact[email]": "brand@example.com"})
    assert status(applicant, token)[0] == "in_review"

    instance_id = instance_of(app, token)
    complete(
        api, tokens["salesops"], open_task(app, instance_id, "qualification_review"), {"decision": "approve"}
    )
    complete(api, tokens["rm_south"], open_task(app, instance_id, "regional_review"), {"decision": "approve"})
    complete(
        api,
        tokens["finance"],
        open_task(app, instance_id, "credit_terms"),
        {"credit_limit": 1000, "payment_terms_days": 15},
    )
    assert status(applicant, token)[0] == "approved"
    with app.app_context():
        dealer = db.session.query(Dealer).filter_by(uscc=good).one()
        assert dealer.custom == {"brand_focus": "饮料"}
    shown = api.get(f"/api/v1/dealer/{dealer.id}", headers=auth(admin)).get_json()["result"]
    assert shown["custom"] == {"brand_focus": "饮料"}
