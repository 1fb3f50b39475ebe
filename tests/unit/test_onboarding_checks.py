"""The automatic checks of a dealer application (pure rules, no database)."""

from datetime import date

from app.domain import onboarding
from app.domain.onboarding import Existing, check_application
from app.domain.uscc import check_character

TODAY = date(2026, 1, 15)
USCC = "91310000MA1FL0001" + check_character("91310000MA1FL0001")


def application(**changes):
    base = {
        "company_name": "上海测试商贸有限公司",
        "uscc": USCC,
        "region": "SH",
        "business_license": {"number": "310000001", "scan": "a" * 32, "valid_to": "2030-01-01"},
    }
    return {**base, **changes}


def fields(problems):
    return {p.field: p.msgid for p in problems}


def test_a_complete_application_passes():
    assert check_application(application(), TODAY, Existing(), applied_region="SH") == []


def test_uscc_with_a_wrong_check_character_fails_naming_the_expected_one():
    wrong = USCC[:-1] + ("0" if USCC[-1] != "0" else "1")
    [problem] = check_application(application(uscc=wrong), TODAY, Existing())
    assert problem.field == "uscc" and "expected" in problem.message


def test_full_width_uscc_with_spaces_is_normalised_before_checking():
    wide = " ".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in USCC)
    assert check_application(application(uscc=wide), TODAY, Existing()) == []


def test_duplicates_by_uscc_and_name_name_the_existing_dealer():
    problems = check_application(
        application(), TODAY, Existing(dealer_with_uscc="D-SH-001", dealer_with_name="D-SH-002")
    )
    assert fields(problems) == {"uscc": onboarding.USCC_TAKEN, "company_name": onboarding.NAME_TAKEN}
    assert "D-SH-001" in problems[0].message


def test_business_licence_is_required_with_a_scan():
    assert fields(check_application(application(business_license={}), TODAY, Existing())) == {
        "business_license": onboarding.LICENCE_MISSING
    }
    no_scan = {"number": "1", "valid_to": "2030-01-01"}
    assert fields(check_application(application(business_license=no_scan), TODAY, Existing())) == {
        "business_license/scan": onboarding.SCAN_MISSING
    }


def test_expired_licences_fail_and_open_ended_ones_pass():
    expired = {"number": "1", "scan": "a" * 32, "valid_to": "2026-01-14"}
    [problem] = check_application(application(food_license=expired), TODAY, Existing())
    assert problem.field == "food_license/valid_to" and "2026-01-14" in problem.message
    open_ended = {"number": "1", "scan": "a" * 32}
    assert check_application(application(business_license=open_ended), TODAY, Existing()) == []
    assert check_application(application(food_license={}), TODAY, Existing()) == []


def test_unknown_or_changed_region_fails():
    assert fields(check_application(application(), TODAY, Existing(region_known=False))) == {
        "region": onboarding.UNKNOWN_REGION
    }
    assert fields(check_application(application(region="JS"), TODAY, Existing(), applied_region="SH")) == {
        "region": onboarding.REGION_CHANGED
    }


def test_dealer_code_takes_the_first_free_number_and_the_username_follows_it():
    assert onboarding.dealer_code("sh", {"D-SH-001", "D-SH-002"}) == "D-SH-003"
    assert onboarding.username_for("D-SH-003") == "d-sh-003"


def test_names_are_compared_after_width_and_space_normalisation():
    assert onboarding.normalise_name(" 上海ＡＢＣ  商贸 ") == "上海ABC 商贸"


def test_a_contact_email_that_is_already_a_users_fails_on_that_field():
    """The dealer's first user gets the contact's e-mail, unique among users."""
    [problem] = check_application(application(), TODAY, Existing(email_taken=True))
    assert problem.field == "contact/email" and "already belongs to a user" in problem.message
