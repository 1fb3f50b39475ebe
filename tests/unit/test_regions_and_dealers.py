"""Region paths and dealer field rules."""

import pytest

from app.domain.dealers import validate_dealer
from app.domain.errors import ValidationFailed
from app.domain.regions import check_no_cycle, child_path, validate_code


def test_child_path_builds_from_parent():
    assert child_path(None, "EAST") == "/EAST/"
    assert child_path("/EAST/", "SH") == "/EAST/SH/"


@pytest.mark.parametrize("code", ["", "a/b", "-x", "x" * 33, "上海", None])
def test_bad_region_codes_are_refused_with_the_field(code):
    with pytest.raises(ValidationFailed) as err:
        validate_code(code)
    assert "code" in err.value.errors


def test_region_cannot_move_below_itself():
    with pytest.raises(ValidationFailed):
        check_no_cycle("/EAST/SH/", "/EAST/")
    check_no_cycle("/SOUTH/", "/EAST/")
    check_no_cycle(None, "/EAST/")


def test_dealer_validation_names_every_bad_field():
    with pytest.raises(ValidationFailed) as err:
        validate_dealer("x", " ", "closed")
    assert set(err.value.errors) == {"code", "name", "status"}
    validate_dealer("D-01", "某经销商", "active")
