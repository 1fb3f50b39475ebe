"""Qualification alerts: licences expiring within N days or already expired become notifications
to the dealer's own users, its sales rep and the regional managers of its region — once per fact
(``dedupe_key`` names the qualification, the state and the end date, so a renewed licence that
later expires again alerts again). Optionally an active dealer whose required licence expired is
suspended (an audited change through the lifecycle rule)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.notifications import notify
from app.domain.dealers import REQUIRED_QUALIFICATIONS, check_transition, qualification_state
from app.models import Dealer, DealerQualification, UserScope

MANAGER_ROLE = "RegionalManager"


@dataclass
class AlertRun:
    """What one run found and did."""

    expiring: int = 0
    expired: int = 0
    notifications: int = 0
    suspended: list[str] = field(default_factory=list)


def _recipients(session: Session, dealer: Dealer) -> list[int]:
    users = set(session.scalars(select(UserScope.user_id).where(UserScope.company_id == dealer.id)))
    if dealer.sales_rep_id is not None:
        users.add(dealer.sales_rep_id)
    return sorted(users)


def _alert(session: Session, dealer: Dealer, kind: str, key: str, title: str, params: dict) -> int:
    """One notification per recipient user and one to the region's managers; how many were new."""
    common = {
        "kind": kind,
        "title": title,
        "body": json.dumps(params, ensure_ascii=False),
        "link": f"/dealerview/show/{dealer.id}",
        "dealer_id": dealer.id,
    }
    sent = [
        notify(session, user_id=user_id, dedupe_key=f"{key}:user:{user_id}", **common)
        for user_id in _recipients(session, dealer)
    ]
    sent.append(
        notify(
            session,
            role=MANAGER_ROLE,
            region_path=dealer.region.path,
            dedupe_key=f"{key}:role:{MANAGER_ROLE}",
            **common,
        )
    )
    return sum(note is not None for note in sent)


def run_qualification_alerts(
    session: Session, today: date, warn_days: int, suspend_on_expired: bool
) -> AlertRun:
    """Alert on every expiring/expired qualification of a dealer that is not terminated (commits)."""
    result = AlertRun()
    rows = session.scalars(
        select(DealerQualification)
        .join(Dealer, Dealer.id == DealerQualification.dealer_id)
        .where(
            DealerQualification.valid_to.is_not(None),
            DealerQualification.valid_to <= today + timedelta(days=warn_days),
            Dealer.status != "terminated",
        )
        .order_by(DealerQualification.id)
    ).all()
    for qual in rows:
        state = qualification_state(qual.valid_to, today, warn_days)
        if state == "valid" or qual.valid_to is None:
            continue
        dealer = qual.dealer
        params = {"dealer": dealer.name, "code": dealer.code, "kind": qual.kind, "number": qual.number,
                  "date": qual.valid_to.isoformat()}  # fmt: skip
        verb = "expired on" if state == "expired" else "expires on"
        title = f"{dealer.name} ({dealer.code}): {qual.kind} {qual.number} {verb} {qual.valid_to.isoformat()}"
        key = f"qualification:{qual.id}:{state}:{qual.valid_to.isoformat()}"
        result.notifications += _alert(session, dealer, f"qualification_{state}", key, title, params)
        setattr(result, state, getattr(result, state) + 1)
        required = state == "expired" and qual.kind in REQUIRED_QUALIFICATIONS
        if required and suspend_on_expired and dealer.status == "active":
            check_transition(dealer.status, "suspended")
            dealer.status = "suspended"
            result.suspended.append(dealer.code)
            title = f"{dealer.name} ({dealer.code}) suspended: {qual.kind} expired"
            result.notifications += _alert(
                session, dealer, "dealer_suspended", f"{key}:suspended", title, params
            )
    session.commit()
    return result
