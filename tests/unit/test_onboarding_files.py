"""The onboarding flow's forms are shipped in forms/ and copied into tests/data/forms (the browser
server and some tests read forms from there): the copies must not drift."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("dealer_application", "onboarding_review", "onboarding_credit")


def test_test_copies_of_the_onboarding_forms_equal_the_shipped_forms():
    for name in NAMES:
        for suffix in (".schema.json", ".uischema.json"):
            shipped = (ROOT / "forms" / f"{name}{suffix}").read_text(encoding="utf-8")
            assert (ROOT / "tests" / "data" / "forms" / f"{name}{suffix}").read_text(
                encoding="utf-8"
            ) == shipped
