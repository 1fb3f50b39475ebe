"""Business days are days in ``DMS_TIMEZONE``, not the server's or UTC's."""

from datetime import UTC, date, datetime

from flask import Flask

from app.adapters.clock import business_day, business_today, business_zone, day_start


def test_a_moment_falls_on_the_business_day_of_the_configured_zone():
    assert business_zone().key == "Asia/Shanghai"  # the default, outside an app
    assert business_day(datetime(2026, 11, 27, 15, 59, tzinfo=UTC)) == date(2026, 11, 27)
    assert business_day(datetime(2026, 11, 27, 16, 0, tzinfo=UTC)) == date(2026, 11, 28)  # 00:00 local
    assert business_day(datetime(2026, 11, 27, 16, 0)) == date(2026, 11, 28)  # naive: taken as UTC
    assert day_start(date(2026, 11, 28)) == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    assert business_today() == business_day(datetime.now(UTC))
    app = Flask(__name__)
    app.config["DMS_TIMEZONE"] = "America/New_York"
    with app.app_context():
        assert business_day(datetime(2026, 11, 27, 3, 0, tzinfo=UTC)) == date(2026, 11, 26)
        assert day_start(date(2026, 11, 27)) == datetime(2026, 11, 27, 5, 0, tzinfo=UTC)
