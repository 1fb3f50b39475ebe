"""Contacts, addresses and qualifications (with the scan) added from the dealer page; scope
and file checks hold as in the API."""

import io

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import DealerContact, DealerQualification, StoredFile
from tests.conftest import ADMIN_PASSWORD, PASSWORD, auth, csrf_token, web_login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture(scope="module")
def ids(app, tokens):
    client = app.test_client()
    rows = client.get("/api/v1/dealer/?q=(page_size:100)", headers=auth(tokens["admin"])).get_json()["result"]
    return {r["code"]: r["id"] for r in rows}


def _form(client, url):
    page = client.get(url)
    assert page.status_code == 200, url
    return csrf_token(page.get_data(as_text=True))


def test_dealer_page_links_to_the_part_forms_and_a_contact_is_added(app, ids):
    client = app.test_client()
    web_login(client, "admin", ADMIN_PASSWORD)
    page = client.get(f"/dealerview/show/{ids['D-SH-1']}").get_data(as_text=True)
    assert 'data-testid="add-contact"' in page and 'data-testid="add-qualification"' in page
    token = _form(client, f"/dealercontactview/add?_flt_0_dealer={ids['D-SH-1']}")
    done = client.post(
        "/dealercontactview/add",
        data={"csrf_token": token, "dealer": ids["D-SH-1"], "name": "王经理", "phone": "021-5555"},
    )
    assert done.status_code == 302
    shown = client.get(f"/dealerview/show/{ids['D-SH-1']}").get_data(as_text=True)
    assert "王经理" in shown
    with app.app_context():
        assert (
            db.session.scalar(select(DealerContact).where(DealerContact.name == "王经理")).dealer_id
            == ids["D-SH-1"]
        )


def test_a_qualification_with_its_scan_is_stored_in_the_dealers_scope(app, ids):
    client = app.test_client()
    web_login(client, "admin", ADMIN_PASSWORD)
    token = _form(client, f"/dealerqualificationview/add?_flt_0_dealer={ids['D-SH-1']}")
    done = client.post(
        "/dealerqualificationview/add",
        data={
            "csrf_token": token,
            "dealer": ids["D-SH-1"],
            "kind": "food_license",
            "number": "JY-31-0001",
            "valid_from": "2026-01-01",
            "valid_to": "2031-01-01",
            "scan": (io.BytesIO(PDF), "licence.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    with app.app_context():
        row = db.session.scalar(select(DealerQualification).where(DealerQualification.number == "JY-31-0001"))
        stored = db.session.scalar(select(StoredFile).where(StoredFile.token == row.file_token))
        assert stored.dealer_id == ids["D-SH-1"] and stored.content_type == "application/pdf"
    dealer = app.test_client()
    web_login(dealer, "dealer_sh1", PASSWORD)
    assert dealer.get(f"/files/{row.file_token}").data == PDF  # the dealer's own users may open it
    other = app.test_client()
    web_login(other, "dealer_gd1", PASSWORD)
    assert other.get(f"/files/{row.file_token}").status_code == 404


def test_a_lying_scan_is_refused_and_nothing_is_stored(app, ids):
    client = app.test_client()
    web_login(client, "admin", ADMIN_PASSWORD)
    with app.app_context():
        before = db.session.query(DealerQualification).count()
    token = _form(client, f"/dealerqualificationview/add?_flt_0_dealer={ids['D-SH-1']}")
    refused = client.post(
        "/dealerqualificationview/add",
        data={
            "csrf_token": token,
            "dealer": ids["D-SH-1"],
            "kind": "other",
            "number": "X-1",
            "scan": (io.BytesIO(PNG), "scan.pdf"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "PDF" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(DealerQualification).count() == before


def test_a_manager_cannot_add_a_contact_to_a_dealer_outside_the_region(app, ids):
    client = app.test_client()
    web_login(client, "rm_sh", PASSWORD)
    token = _form(client, "/dealercontactview/add")
    client.post("/dealercontactview/add", data={"csrf_token": token, "dealer": ids["D-GD-1"], "name": "越权"})
    with app.app_context():
        assert db.session.scalar(select(DealerContact).where(DealerContact.name == "越权")) is None
    listing = client.get("/dealercontactview/list/").get_data(as_text=True)
    assert "王经理" in listing or "越权" not in listing
