"""Price policy pages: versions, a draft's records (add, validate, diff, publish) and the scoped
price list (a dealer user sees only its own; another dealer's list is a 404)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token, web_login
from tests.pricing_helpers import load_catalogue, publish_policy


@pytest.fixture(scope="module")
def policy(app):
    from app.extensions import db

    with app.app_context():  # left before the tests: an active app context would keep ``g`` between requests
        load_catalogue()
        version = publish_policy(backdate_days=3).id
        db.session.remove()
    return version


def test_finance_edits_validates_and_publishes_a_draft(app, policy):
    client = app.test_client()
    assert web_login(client, "finance").status_code == 302
    page = client.get("/pricing/").get_data(as_text=True)
    assert "V1" in page
    resp = client.post("/pricing/draft", data={"note": "调价", "csrf_token": csrf_token(page)})
    assert resp.status_code == 302
    draft_url = resp.headers["Location"]
    page = client.get(draft_url).get_data(as_text=True)
    pk = int(re.search(r"/pricing/(\d+)", draft_url).group(1))
    form = {"type": "base", "sku": "W-550", "price": "33", "csrf_token": csrf_token(page)}
    client.post(f"/pricing/{pk}/records", data=form)
    checked = client.get(f"/pricing/{pk}?check=1").get_data(as_text=True)
    assert "same base key, dates overlap" in checked
    diff = client.get(f"/pricing/{pk}?diff=1").get_data(as_text=True)
    assert 'data-testid="diff"' in diff and "~ #" in diff, diff[-3000:]
    refused = client.post(
        f"/pricing/{pk}/publish", data={"csrf_token": csrf_token(page)}, follow_redirects=True
    )
    assert "dates overlap" in refused.get_data(as_text=True)


def test_price_list_page_is_scoped(app, policy):
    client = app.test_client()
    assert web_login(client, "dealer_sh1").status_code == 302
    own = client.get("/pricing/prices/")
    assert own.status_code == 200 and "42.0000" in own.get_data(as_text=True)  # its dealer price for T-500
    assert client.get("/pricing/prices/?dealer=D-GD-1").status_code == 404
    assert client.get("/pricing/").status_code in (302, 403)


def test_excel_import_adds_records_to_a_draft_and_names_bad_rows(app, policy):
    from io import BytesIO

    from openpyxl import Workbook, load_workbook
    from sqlalchemy import func, select

    from app.adapters import pricing_admin
    from app.extensions import db
    from app.models import ImportJob, PriceRecord

    with app.app_context():
        draft = pricing_admin.create_draft(db.session, "finance", "excel")
        number, pk = draft.number, draft.id
        db.session.commit()
        before = db.session.scalar(select(func.count()).where(PriceRecord.version_id == pk))
    client = app.test_client()
    assert web_login(client, "finance").status_code == 302
    template = client.get("/pricing/excel/template")
    headers = [c.value for c in load_workbook(BytesIO(template.data)).worksheets[0][1]]
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    sheet.append([number, "promo", None, None, "WATER", None, None, None, 5, None, "7.5"])
    sheet.append([number, "base", "NOPE", None, None, None, None, None, None, "1"])
    sheet.append([number, "base", "W-550", None, None, None, None, None, None, "0.12345"])
    out = BytesIO()
    book.save(out)
    page = client.get("/pricing/excel/import").get_data(as_text=True)
    resp = client.post(
        "/pricing/excel/import",
        data={"file": (BytesIO(out.getvalue()), "records.xlsx"), "mode": "insert", "all_or_nothing": "false",
              "csrf_token": csrf_token(page)},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    with app.app_context():
        job = db.session.scalars(select(ImportJob).order_by(ImportJob.id.desc())).first()
        assert (job.inserted, job.failed) == (1, 2), (job.status, job.message, job.report)
        after = db.session.scalar(select(func.count()).where(PriceRecord.version_id == pk))
        assert after == before + 1


def test_a_draft_record_is_edited_on_the_page(app, policy):
    client = app.test_client()
    assert web_login(client, "finance").status_code == 302
    page = client.get("/pricing/").get_data(as_text=True)
    draft_url = client.post("/pricing/draft", data={"note": "改价", "csrf_token": csrf_token(page)}).headers[
        "Location"
    ]
    pk = int(re.search(r"/pricing/(\d+)", draft_url).group(1))
    page = client.get(draft_url).get_data(as_text=True)
    rid = re.search(r'<tr data-record="(\d+)">(?:(?!</tr>).)*value="W-1500"', page, re.S).group(1)
    form = {"type": "base", "sku": "W-1500", "price": "41.50", "csrf_token": csrf_token(page)}
    client.post(f"/pricing/{pk}/records/{rid}/edit", data=form)
    page = client.get(draft_url).get_data(as_text=True)
    assert re.search(rf'<tr data-record="{rid}">(?:(?!</tr>).)*value="41.5000"', page, re.S)
    bad = client.post(
        f"/pricing/{pk}/records/{rid}/edit", data={**form, "price": "-1"}, follow_redirects=True
    )
    assert "price" in bad.get_data(as_text=True)
    page = client.get(draft_url).get_data(as_text=True)
    assert re.search(rf'<tr data-record="{rid}">(?:(?!</tr>).)*value="41.5000"', page, re.S)  # unchanged
