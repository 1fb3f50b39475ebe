"""Qualification validity states and field checks (pure domain)."""

from datetime import date

import pytest

from app.domain.dealers import check_qualification, qualification_state
from app.domain.errors import ValidationFailed

TODAY = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("valid_to", "state"),
    [
        (None, "valid"),
        (date(2026, 2, 28), "expired"),
        (TODAY, "expiring"),
        (date(2026, 3, 31), "expiring"),
        (date(2026, 4, 1), "valid"),
    ],
)
def test_state(valid_to, state):
    assert qualification_state(valid_to, TODAY, 30) == state


def test_check_names_every_bad_field():
    with pytest.raises(ValidationFailed) as failed:
        check_qualification("diploma", " ", date(2026, 5, 1), date(2026, 4, 1))
    assert set(failed.value.errors) == {"kind", "number", "valid_to"}
    check_qualification("business_license", "91310000", None, None)
