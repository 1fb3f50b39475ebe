"""Service tasks of the dealer onboarding flow (``workflows/dealer_onboarding.bpmn``).

``onboarding.check`` runs the automatic checks, ``onboarding.notify`` tells the next people
(a role within the application's region, or the rep who entered it), ``onboarding.create_dealer``
creates the dealer with its qualifications, contact, ship-to address and first dealer user; an
application field named like a custom dealer field (form ``dealer_custom``) becomes that field's
value on the dealer.
Handlers run inside the engine's transaction (``db.session``): what they write is committed
with the step, and a failing ``create_dealer`` leaves nothing behind (a savepoint).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.adapters.clock import business_today
from app.adapters.dealer_custom import clean_custom, custom_from
from app.adapters.notifications import notify
from app.adapters.unit_of_work import SqlUnitOfWork
from app.domain import onboarding
from app.domain.dealers import DealerFields, clean_dealer
from app.domain.errors import ValidationFailed
from app.domain.uscc import normalise_code
from app.engine.registry import service_task
from app.extensions import db
from app.models import (
    Dealer,
    DealerAddress,
    DealerContact,
    DealerQualification,
    DealerTier,
    Region,
    StoredFile,
)
from app.services.users import NewUser, create_user

# Who is told when the flow reaches a step (a role within the application's region).
STEP_ROLES = {
    "qualification_review": "SalesOps",
    "regional_review": "RegionalManager",
    "executive_review": "Executive",
    "credit_terms": "Finance",
}
TITLES = {
    "qualification_review": "经销商入驻待资质审核 Onboarding: qualification review",
    "regional_review": "经销商入驻待区域经理审批 Onboarding: regional approval",
    "executive_review": "经销商入驻待高管审批 Onboarding: executive approval",
    "credit_terms": "经销商入驻待设定信用额度 Onboarding: credit limit and terms",
    "returned": "入驻申请被退回修改 Onboarding application returned",
    "rejected": "入驻申请被拒绝 Onboarding application rejected",
    "created": "经销商已入驻 Dealer onboarded",
    "welcome": "欢迎加入 Welcome",
}


def _session() -> Session:
    return db.session


def _region_path(session: Session, code: Any) -> str | None:
    return session.scalar(select(Region.path).where(Region.code == str(code or "")))


def _user_id(session: Session, username: Any) -> int | None:
    if not username:
        return None
    return session.scalar(select(User.id).where(User.username == str(username)))


def existing_for(session: Session, application: dict[str, Any]) -> onboarding.Existing:
    """Dealers (other than applicant rows) with the application's USCC or name; is its region known."""
    uscc = normalise_code(str(application.get("uscc") or ""))
    name = onboarding.normalise_name(application.get("company_name"))
    live = Dealer.status != "applicant"
    return onboarding.Existing(
        dealer_with_uscc=session.scalar(select(Dealer.code).where(Dealer.uscc == uscc, live))
        if uscc
        else None,
        dealer_with_name=session.scalar(select(Dealer.code).where(Dealer.name == name, live))
        if name
        else None,
        region_known=_region_path(session, application.get("region")) is not None,
        email_taken=_email_taken(session, (application.get("contact") or {}).get("email")),
    )


def _email_taken(session: Session, email: Any) -> bool:
    """Whether a user already has this e-mail (compared without case): the dealer's first user
    gets the contact's e-mail, which must be unique among users."""
    if not email:
        return False
    found = session.scalar(
        select(User.id).where(func.lower(User.email) == str(email).strip().lower()).limit(1)
    )
    return found is not None


@service_task("onboarding.check")
def check(application: dict[str, Any], region: str | None = None) -> dict[str, Any]:
    """The automatic checks: ``{"passed", "problems": [{"field", "message", "msgid", "params"}]}``."""
    session = _session()
    problems = onboarding.check_application(
        application, business_today(), existing_for(session, application), applied_region=region
    )
    problems += _custom_problems(session, application)
    return {
        "passed": not problems,
        "problems": [
            {"field": p.field, "message": p.message, "msgid": p.msgid, "params": p.params} for p in problems
        ],
    }


def _custom_problems(session: Session, application: dict[str, Any]) -> list[onboarding.Problem]:
    """The application's values of custom dealer fields that the dealer's form would refuse (the
    two forms can differ), so the applicant corrects them before anyone reviews the application."""
    try:
        clean_custom(session, custom_from(session, application))
    except ValidationFailed as failed:
        return [
            onboarding.Problem(key.removeprefix("custom/"), onboarding.CUSTOM_INVALID,
                               {"field": key.removeprefix("custom/"), "reason": reason})
            for key, reason in failed.errors.items()
        ]  # fmt: skip
    return []


@service_task("onboarding.notify")
def notify_step(
    step: str,
    region: str | None = None,
    business_key: str | None = None,
    company: str = "",
    entered_by: Any = None,
) -> dict[str, Any]:
    """Notify the holders of the next step's role in the region, or the rep who entered the application."""
    session = _session()
    path = _region_path(session, region)
    title = f"{TITLES.get(step, step)}: {company}"
    role = STEP_ROLES.get(step)
    if role is not None:
        notify(session, kind="onboarding", title=title, link="/inbox/", role=role, region_path=path)
        return {"step": step, "role": role}
    rep = _user_id(session, entered_by)
    if rep is not None:
        notify(session, kind="onboarding", title=title, user_id=rep)
    return {"step": step, "user": entered_by or None}


class _InsideStep(SqlUnitOfWork):
    """The user service's unit of work inside the engine's step: flush, never commit or roll
    back (the step's savepoint and transaction decide)."""

    def __exit__(self, *exc: object) -> None:
        return None

    def commit(self) -> None:
        self.session.flush()

    def rollback(self) -> None:
        return None


def _dealer(session: Session, application: dict[str, Any], region: Region, credit: dict[str, Any]) -> Dealer:
    uscc = normalise_code(str(application.get("uscc") or ""))
    dealer = session.scalar(select(Dealer).where(Dealer.uscc == uscc))
    if dealer is not None and dealer.status != "applicant":
        raise ValueError(f"dealer {dealer.code} already has this USCC")
    taken = set(session.scalars(select(Dealer.code).where(Dealer.code.like(f"D-{region.code}-%"))))
    code = dealer.code if dealer is not None else onboarding.dealer_code(region.code, taken)
    values = clean_dealer(
        DealerFields(
            code=code,
            name=application.get("company_name"),
            status="active",
            uscc=uscc,
            credit_limit=Decimal(str(credit.get("credit_limit", 0))),
            payment_terms_days=credit.get("payment_terms_days"),
            staff_count=application.get("staff_count"),
            warehouse_area=application.get("warehouse_area"),
            revenue_band=application.get("revenue_band"),
        )
    )
    if dealer is None:
        dealer = Dealer(code=code, region=region)
        session.add(dealer)
    for name, value in values.items():
        setattr(dealer, name, value)
    extra = custom_from(session, application)
    if extra:  # fields the administrator added to both the application and the dealer
        dealer.custom = clean_custom(session, {**(dealer.custom or {}), **extra})
    dealer.region = region
    dealer.tier = session.scalar(select(DealerTier).where(DealerTier.code == str(application.get("tier"))))
    session.flush()
    return dealer


def _parts(session: Session, dealer: Dealer, application: dict[str, Any]) -> None:
    contact = application.get("contact") or {}
    if contact.get("name"):
        session.add(
            DealerContact(
                dealer=dealer,
                name=contact["name"],
                phone=contact.get("phone"),
                email=contact.get("email"),
                is_primary=True,
            )
        )
    address = application.get("address") or {}
    if address.get("address"):
        session.add(
            DealerAddress(
                dealer=dealer,
                label="默认 Default",
                address=address["address"],
                receiver=address.get("receiver") or contact.get("name"),
                phone=address.get("phone") or contact.get("phone"),
                is_default=True,
            )
        )
    for key, kind in onboarding.LICENCES.items():
        licence = application.get(key) or {}
        if not licence.get("number"):
            continue
        token = licence.get("scan")
        session.add(
            DealerQualification(
                dealer=dealer,
                kind=kind,
                number=licence["number"],
                file_token=token,
                valid_to=date.fromisoformat(licence["valid_to"]) if licence.get("valid_to") else None,
            )
        )
        if token:  # the scan now belongs to the dealer: its users and its region's staff see it
            stored = session.scalar(select(StoredFile).where(StoredFile.token == token))
            if stored is not None:
                stored.dealer_id = dealer.id


@service_task("onboarding.create_dealer")
def create_dealer(
    application: dict[str, Any],
    region: str,
    credit: dict[str, Any],
    business_key: str | None = None,
    entered_by: Any = None,
) -> dict[str, Any]:
    """Create (or activate the applicant row of) the dealer, its parts and its first user;
    notify the rep who entered it and the new user. Returns ``{"dealer", "username"}``."""
    session = _session()
    area = session.scalar(select(Region).where(Region.code == str(region)))
    if area is None:
        raise ValueError(f"unknown region {region!r}")
    rep = _user_id(session, entered_by)
    with session.begin_nested():
        dealer = _dealer(session, application, area, credit)
        if rep is not None:
            dealer.sales_rep_id = rep
        _parts(session, dealer, application)
        session.flush()
        contact = application.get("contact") or {}
        user = create_user(
            _InsideStep(session, current_app.extensions["dms_roles"]),
            NewUser(
                username=onboarding.username_for(dealer.code),
                roles=("Dealer",),
                dealers=(dealer.code,),
                email=contact.get("email") or "",
                first_name=str(contact.get("name") or dealer.code)[:64],
            ),
        )
        company = dealer.name
        title = f"{TITLES['created']}: {company} ({dealer.code})"
        if rep is not None:
            notify(session, kind="onboarding", title=title, user_id=rep, link=f"/dealerview/show/{dealer.id}")
        notify(session, kind="onboarding", title=f"{TITLES['welcome']}: {company}", user_id=user.id)
        notify(session, kind="onboarding", title=title, role="SalesOps", dealer_id=dealer.id)
    return {"dealer": dealer.code, "dealer_id": dealer.id, "username": user.username}
