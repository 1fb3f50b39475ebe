"""Price policy pages: versions, a version's records (add/delete in drafts) with validate, diff
and publish buttons (class ``PricePolicy``), and a dealer's price list (class ``Price``, scoped)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.adapters import policy_simulation, pricing, pricing_admin
from app.adapters.scope_sql import dealer_clause
from app.domain.errors import DomainError
from app.extensions import db
from app.models import Dealer, PolicyVersion, PriceRecord
from app.web.api.price_policy import parse_moment
from app.web.api.pricing import condition_json, line_json, parse_day
from app.web.permissions import READ, WRITE
from app.web.scope import current_scope
from app.web.views.excel import ExcelView

RECORD_FIELDS = ("type", "sku", "product_line", "category", "region", "tier", "dealer", "min_qty", "price",
                 "discount_pct", "buy_x", "get_y", "valid_from", "valid_to", "reference")  # fmt: skip


class PricePolicyView(BaseView):
    route_base = "/pricing"
    class_permission_name = "PricePolicy"
    method_permission_name = {
        "versions": READ,
        "version": READ,
        "new_draft": WRITE,
        "add_record": WRITE,
        "delete_record": WRITE,
        "edit_record": WRITE,
        "publish": WRITE,
    }
    default_view = "versions"

    def _version(self, pk: int) -> PolicyVersion:
        found = db.session.get(PolicyVersion, pk)
        if found is None:
            abort(404)
        return found

    def _done(self, pk: int, message: str | None = None, error: DomainError | None = None):
        if error is not None:
            db.session.rollback()
            details = "; ".join(f"{k}: {v}" for k, v in list(error.errors.items())[:10])
            flash(f"{_('Not done')}: {error.message} {details}", "danger")
        else:
            db.session.commit()
            flash(message or _("Saved"), "success")
        return redirect(url_for("PricePolicyView.version", pk=pk))

    @expose("/")
    @has_access
    def versions(self):
        rows = list(db.session.scalars(select(PolicyVersion).order_by(PolicyVersion.number.desc())))
        return self.render_template("pricing/versions.html", versions=rows, title=_("Price policy"))

    @expose("/draft", methods=["POST"])
    @has_access
    def new_draft(self):
        draft = pricing_admin.create_draft(db.session, g.user.username, request.form.get("note") or None)
        return self._done(draft.id, _("Draft created"))

    @expose("/<int:pk>")
    @has_access
    def version(self, pk: int):
        version = self._version(pk)
        records = sorted(pricing.conditions_of(db.session, pk), key=lambda c: (c.type, c.sku or "", c.id))
        problems = pricing_admin.validate(db.session, version) if request.args.get("check") else None
        changes = pricing_admin.diff_with_live(db.session, version) if request.args.get("diff") else None
        simulation = None
        if request.args.get("simulate") and version.status == "draft":
            try:
                months = policy_simulation.parse_months(request.args.get("months"))
                simulation = policy_simulation.simulate(
                    db.session, version, current_scope(), months
                ).as_dict()
            except DomainError as error:
                flash(error.message, "danger")
        return self.render_template(
            "pricing/version.html",
            version=version,
            records=[condition_json(c) for c in records],
            problems=problems,
            changes=changes,
            simulation=simulation,
            fields=RECORD_FIELDS,
            title=_("Price policy version %(number)s", number=version.number),
        )

    @expose("/<int:pk>/records", methods=["POST"])
    @has_access
    def add_record(self, pk: int):
        version = self._version(pk)
        try:
            raw = {k: request.form.get(k) for k in RECORD_FIELDS}
            raw["stackable"] = bool(request.form.get("stackable"))
            pricing_admin.add_record(db.session, version, pricing_admin.record_values(db.session, raw))
        except DomainError as error:
            return self._done(pk, error=error)
        return self._done(pk)

    @expose("/<int:pk>/records/<int:rid>/edit", methods=["POST"])
    @has_access
    def edit_record(self, pk: int, rid: int):
        record = db.session.get(PriceRecord, rid)
        if record is None or record.version_id != pk:
            abort(404)
        try:
            raw = {k: request.form.get(k) for k in RECORD_FIELDS}
            raw["stackable"] = bool(request.form.get("stackable"))
            pricing_admin.update_record(db.session, record, pricing_admin.record_values(db.session, raw))
        except DomainError as error:
            return self._done(pk, error=error)
        return self._done(pk)

    @expose("/<int:pk>/records/<int:rid>/delete", methods=["POST"])
    @has_access
    def delete_record(self, pk: int, rid: int):
        record = db.session.get(PriceRecord, rid)
        if record is None or record.version_id != pk:
            abort(404)
        try:
            pricing_admin.delete_record(db.session, record)
        except DomainError as error:
            return self._done(pk, error=error)
        return self._done(pk, _("Deleted"))

    @expose("/<int:pk>/publish", methods=["POST"])
    @has_access
    def publish(self, pk: int):
        version = self._version(pk)
        try:
            starts = parse_moment(request.form.get("effective_from"))
            pricing_admin.publish(db.session, version, starts, g.user.username)
        except DomainError as error:
            return self._done(pk, error=error)
        return self._done(pk, _("Published"))


class PriceListView(BaseView):
    route_base = "/pricing/prices"
    class_permission_name = "Price"
    method_permission_name = {"price_list": READ}
    default_view = "price_list"

    @expose("/")
    @has_access
    def price_list(self):
        dealers = list(
            db.session.scalars(
                select(Dealer).where(dealer_clause(current_scope())).order_by(Dealer.code).limit(500)
            )
        )
        code = request.args.get("dealer") or (dealers[0].code if len(dealers) == 1 else None)
        dealer = next((d for d in dealers if d.code == code), None)
        if code and dealer is None:
            abort(404)
        try:
            day = parse_day(request.args.get("date"))
        except DomainError:
            day = None
        lines = [line_json(x) for x in pricing.price_list(db.session, dealer, day)] if dealer else []
        return self.render_template(
            "pricing/price_list.html",
            dealers=dealers,
            dealer=dealer,
            lines=lines,
            day=day,
            title=_("Price list"),
        )


class PriceRecordExcelView(ExcelView):
    route_base = "/pricing/excel"
    class_permission_name = "PricePolicy"
    excel_kind = "price_record"
    list_endpoint = "PricePolicyView.versions"
    import_title = _l("Import price records into a draft")
    insert_label = _l("Add the records to their drafts")
    back_label = _l("Back to the price policy")
