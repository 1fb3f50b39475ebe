"""The home page's dashboard per role: sales of this month, the year and the last twelve months,
top regions and dealers — each in the viewer's data scope and equal to an independent sum of the
order lines —, open tasks, and a dealer's own corner (latest orders, credit, stock)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from app.adapters.clock import business_today
from tests.analytics_helpers import analytics_app, make_order
from tests.conftest import web_login

TODAY = business_today()
MONTH = TODAY.replace(day=1)
LAST_MONTH = (MONTH - timedelta(days=1)).replace(day=1)


def _at(day: date) -> datetime:
    """02:00 UTC: the same day in Shanghai (the store's day) as on this machine (UTC)."""
    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)


ORDERS = [  # dealer, lines (sku, qty, price), day
    ("D-SH-1", [("W-550", 10, "30.00"), ("T-500", 5, "45.50")], MONTH),
    ("D-SH-1", [("C-1KG", 2, "50.00")], TODAY),
    ("D-GD-1", [("W-550", 40, "25.00")], TODAY),
    ("D-JS-1", [("T-500", 4, "50.00")], LAST_MONTH),
]


def _amount(dealers: set[str], since: date) -> Decimal:
    """Independent sum of the order lines above of ``dealers`` from ``since`` to today."""
    return sum(
        (Decimal(price) * qty for dealer, lines, day in ORDERS if dealer in dealers and since <= day <= TODAY
         for _sku, qty, price in lines),
        Decimal(0),
    ).quantize(Decimal("0.01"))  # fmt: skip


@pytest.fixture(scope="module")
def app(database_url):
    application = analytics_app(database_url)
    from app.domain.scope import UNRESTRICTED
    from app.engine import runtime
    from app.extensions import db
    from app.jobs.analytics import analytics_update

    with application.app_context():
        for dealer, lines, day in ORDERS:
            make_order(db.session, dealer, lines, _at(day))
        db.session.commit()
        analytics_update(application)
        system = runtime.Caller(None, "test", frozenset({"Admin"}), UNRESTRICTED)
        runtime.start_instance(
            db.session, "generic_approval", {"dealer": "D-SH-1", "business_key": "G-1"}, system
        )
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


_clients: dict = {}


def _home(app, user: str) -> str:
    """The home page of ``user`` in English (one login per user: logins are rate limited)."""
    if (app, user) not in _clients:
        client = app.test_client()
        web_login(client, user)
        client.get("/lang/en")
        _clients[(app, user)] = client
    return _clients[(app, user)].get("/").get_data(as_text=True)


def _figure(page: str, testid: str) -> Decimal:
    match = re.search(rf'data-testid="{testid}">([^<]*)<', page)
    assert match, f"no {testid} on the page"
    return Decimal(match.group(1).replace(",", ""))  # shown with thousands separators


@pytest.mark.parametrize(
    ("user", "dealers", "hidden"),
    [
        ("exec", {"D-SH-1", "D-SH-2", "D-JS-1", "D-GD-1"}, set()),
        ("rm_sh", {"D-SH-1", "D-SH-2"}, {"D-GD-1", "D-JS-1"}),
        ("rm_east", {"D-SH-1", "D-SH-2", "D-JS-1"}, {"D-GD-1"}),
        ("rep", {"D-SH-1", "D-GD-1"}, {"D-JS-1", "D-SH-2"}),
        ("dealer_sh1", {"D-SH-1"}, {"D-GD-1", "D-JS-1", "D-SH-2"}),
        ("dealer_gd1", {"D-GD-1"}, {"D-SH-1", "D-JS-1"}),
    ],
)
def test_sales_figures_follow_the_scope(app, user, dealers, hidden):
    page = _home(app, user)
    assert 'data-testid="sales-overview"' in page
    assert _figure(page, "month-amount") == _amount(dealers, MONTH)
    assert f'data-testid="month-amount">{_amount(dealers, MONTH):,.2f}<' in page  # 1,627.50
    assert _figure(page, "year-amount") == _amount(dealers, TODAY.replace(month=1, day=1))
    top = re.search(r'data-testid="top-dealers">(.*?)</div>', page, re.S)
    shown = top.group(1) if top else ""
    for code in hidden:
        assert code not in shown and code not in page, (user, code)
    assert 'id="sales-trend"' in page and '"labels"' in page


def test_trend_has_twelve_months_with_the_sales_of_each(app):
    page = _home(app, "exec")
    data = json.loads(re.search(r'id="sales-trend-data">(.*?)</script>', page, re.S).group(1))
    assert len(data["labels"]) == 12 and data["labels"][-1] == f"{MONTH:%Y-%m}"
    by_month = dict(zip(data["labels"], map(Decimal, data["values"]), strict=True))
    assert by_month[f"{MONTH:%Y-%m}"] == _amount({"D-SH-1", "D-GD-1"}, MONTH)
    assert by_month[f"{LAST_MONTH:%Y-%m}"] == _amount({"D-JS-1"}, LAST_MONTH)
    assert sum(by_month.values()) == _amount({"D-SH-1", "D-GD-1", "D-JS-1"}, LAST_MONTH)


def test_reviewer_sees_open_tasks_in_scope(app):
    assert "1 task(s) wait for you" in _home(app, "rm_sh")  # the approval of D-SH-1 (region SH)
    assert "1 task(s) wait for you" in _home(app, "rm_east")  # SH is under EAST
    assert 'data-testid="open-tasks"' not in _home(app, "exec")  # not a regional manager's task


def test_dealer_sees_its_own_corner(app):
    page = _home(app, "dealer_sh1")
    corner = re.search(r'data-testid="dealer-corner">(.*?)</section>', page, re.S).group(1)
    assert corner.count("SO-T") == 2  # its two orders, newest first
    assert _figure(page, "credit-available") >= 0
    assert "dealer-corner" not in _home(app, "exec")
