"""The home page: who you are, your scope, and dealer counts within it."""

import json
import re

from tests.conftest import web_login


def _chart(html):
    match = re.search(r'id="dealers-by-region-data">([^<]+)<', html)
    return json.loads(match.group(1)) if match else None


def test_home_chart_counts_only_dealers_in_scope(app):
    client = app.test_client()
    web_login(client, "rm_sh")
    chart = _chart(client.get("/").get_data(as_text=True))
    assert chart["labels"] == ["上海"] and chart["values"] == [2]


def test_executive_sees_every_region(app):
    client = app.test_client()
    web_login(client, "exec")
    chart = _chart(client.get("/").get_data(as_text=True))
    assert dict(zip(chart["labels"], chart["values"], strict=True)) == {"上海": 2, "江苏": 1, "广东": 1}


def test_anonymous_home_asks_to_sign_in(client):
    html = client.get("/").get_data(as_text=True)
    assert _chart(html) is None and "请先登录" in html
