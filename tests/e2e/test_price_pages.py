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
