"""Dealer onboarding: the automatic checks of an application and the names derived from it.

An application is the data of the form ``dealer_application``. The checks need two facts from
the database — whether a dealer already has this USCC or this name, and whether the region
exists — which the caller looks up and passes in, so the rules stay plain functions.
Each problem is ``(field, msgid, params)``: shown in English on the API and translated on pages.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.uscc import normalise_code, uscc_problem


def N_(text: str) -> str:  # noqa: N802 (the gettext convention: marks msgids for extraction)
    return text


INVALID_USCC = N_("invalid unified social credit code: %(reason)s")
USCC_TAKEN = N_("a dealer with this unified social credit code already exists (%(code)s)")
NAME_TAKEN = N_("a dealer with this name already exists (%(code)s)")
UNKNOWN_REGION = N_("unknown region %(region)s")
REGION_CHANGED = N_("the region cannot be changed after applying (applied for %(region)s)")
LICENCE_MISSING = N_("the business licence (number and scan) is required")
SCAN_MISSING = N_("a scan of the licence is required")
EXPIRED = N_("expired on %(date)s")
BAD_DATE = N_("not a valid date")
EMAIL_TAKEN = N_("this e-mail address already belongs to a user; give another one")
# a field the administrator added to the application and to the dealer (form dealer_custom)
CUSTOM_INVALID = N_("not accepted as the dealer's field %(field)s: %(reason)s")

# Licences the form asks for: form property → qualification kind (models.dealer_parts).
LICENCES = {"business_license": "business_license", "food_license": "food_license"}
REQUIRED_LICENCES = ("business_license",)


@dataclass(frozen=True)
class Problem:
    """One failed check: the form field, a message id and its parameters."""

    field: str
    msgid: str
    params: dict[str, str]

    @property
    def message(self) -> str:
        return self.msgid % self.params if self.params else self.msgid


@dataclass(frozen=True)
class Existing:
    """What the database already holds that the application must not repeat."""

    dealer_with_uscc: str | None = None  # its dealer code
    dealer_with_name: str | None = None
    region_known: bool = True
    email_taken: bool = False  # the contact's e-mail is a user's (the dealer's first user needs it)


def normalise_name(name: Any) -> str:
    """A company name as compared for duplicates: full-width → half-width, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", str(name or "")).split())


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(value)
    return date.fromisoformat(value)


def _licence_problems(application: Mapping[str, Any], today: date) -> list[Problem]:
    problems = []
    for key in LICENCES:
        licence = application.get(key) or {}
        if not isinstance(licence, Mapping) or not any(licence.values()):
            if key in REQUIRED_LICENCES:
                problems.append(Problem(key, LICENCE_MISSING, {}))
            continue
        if not licence.get("number"):
            problems.append(Problem(f"{key}/number", LICENCE_MISSING, {}))
        if not licence.get("scan"):
            problems.append(Problem(f"{key}/scan", SCAN_MISSING, {}))
        if licence.get("valid_to"):
            try:
                valid_to = _date(licence["valid_to"])
            except ValueError:
                problems.append(Problem(f"{key}/valid_to", BAD_DATE, {}))
                continue
            if valid_to is not None and valid_to < today:
                problems.append(Problem(f"{key}/valid_to", EXPIRED, {"date": valid_to.isoformat()}))
    return problems


def check_application(
    application: Mapping[str, Any], today: date, existing: Existing, applied_region: str | None = None
) -> list[Problem]:
    """Every problem of ``application`` (empty when it passes): the USCC is valid, no dealer has
    the same USCC or name, the region exists (and is the one applied for), the contact's e-mail
    is nobody's login e-mail yet, the required licences are there with a scan and none is expired."""
    problems = []
    uscc = normalise_code(str(application.get("uscc") or ""))
    reason = uscc_problem(uscc)
    if reason:
        problems.append(Problem("uscc", INVALID_USCC, {"reason": reason}))
    elif existing.dealer_with_uscc:
        problems.append(Problem("uscc", USCC_TAKEN, {"code": existing.dealer_with_uscc}))
    if existing.dealer_with_name:
        problems.append(Problem("company_name", NAME_TAKEN, {"code": existing.dealer_with_name}))
    region = str(application.get("region") or "")
    if not existing.region_known:
        problems.append(Problem("region", UNKNOWN_REGION, {"region": region}))
    elif applied_region is not None and region != applied_region:
        problems.append(Problem("region", REGION_CHANGED, {"region": applied_region}))
    if existing.email_taken:
        problems.append(Problem("contact/email", EMAIL_TAKEN, {}))
    return problems + _licence_problems(application, today)


def dealer_code(region_code: str, taken: set[str]) -> str:
    """The first free code ``D-<REGION>-<nnn>`` (``D-SH-003``) not in ``taken``."""
    prefix = f"D-{region_code.upper()}-"[:28]
    number = 1
    while f"{prefix}{number:03d}" in taken:
        number += 1
    return f"{prefix}{number:03d}"


def username_for(code: str) -> str:
    """The first dealer user's login name: the dealer code in lower case (``d-sh-003``)."""
    return code.lower()
