"""A demo dealer application (经销商入驻申请) started like the public sign-up page does: the scan
checked and stored as the applicant's, then ``onboarding.start_application`` (form validation,
automatic checks, the flow), so sales operations find a review task (docs/demo_data.md)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.adapters.file_store import store_files
from app.domain.uscc import check_character
from app.extensions import db
from app.formkit.uploads import check_file, rule_at
from app.models import Region
from app.web import onboarding
from app.web.uploads import upload_cap

SCAN = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
USCC_BODY = "91320500MA1FL0088"


def _choice(schema: dict, field: str, preferred: str) -> str:
    """``preferred`` if the form (the template's) offers it for ``field``, else its last option."""
    prop = schema.get("properties", {}).get(field, {})
    options = [o.get("const") for o in prop.get("oneOf", [])] or list(prop.get("enum", []))
    return preferred if not options or preferred in options else options[-1]


def start_demo_application(
    region: str = "JS", name: str = "苏州姑苏优选商贸有限公司", extra: dict | None = None
) -> str:
    """Store the scan and start the application (commits); returns what was started. Called once,
    with a fresh demo history. Tier and revenue band are taken from the running application
    form's options (an industry template may name its own); ``extra``: values of fields the
    template added to the form."""
    uscc = USCC_BODY + check_character(USCC_BODY)
    schema, uischema = onboarding.application_form()
    path = db.session.scalar(select(Region.path).where(Region.code == region))
    rule = rule_at(schema, uischema, ("business_license", "scan"), upload_cap())
    checked = check_file("营业执照.pdf", SCAN, rule, "/business_license/scan")
    (stored,) = store_files(
        db.session, current_app.config["DMS_UPLOAD_DIR"], [checked], "applicant", None, None, path
    )
    data = {
        "company_name": name,
        "uscc": uscc,
        "region": region,
        "tier": _choice(schema, "tier", "T2"),
        "revenue_band": _choice(schema, "revenue_band", "R2"),
        "staff_count": 18,
        "contact": {"name": "陈经理", "phone": "13900000001", "email": "chen@example.com"},
        "warehouse_area": 800,
        "address": {"address": "苏州市姑苏区人民路 100 号", "receiver": "陈经理", "phone": "13900000001"},
        "business_license": {"number": "320500000000101", "valid_to": "2030-12-31", "scan": stored.token},
        **(extra or {}),
    }
    onboarding.start_application(data, {stored.token})
    return f"application of {data['company_name']} started"
