"""Scorecard pages (数据分析 → 经销商评分卡): the ranking with filters in the URL (set, period,
region, tier), a bar chart and the xlsx export; one dealer's card (also a tab of the dealer page)
with suggestions; the KPI set editor; the dealer-target Excel pages. Everything comes from the
same adapters as the API, inside the user's data scope (docs/scorecards.md)."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.adapters.kpi_store import check_text, record, records, save_set
from app.adapters.scorecard_ranking import dealer_card
from app.domain.errors import DomainError, NotFound
from app.domain.kpi_metrics import METRICS
from app.domain.kpi_sets import KpiSetRefused
from app.extensions import db
from app.web.api.scorecard import RANKING_COLUMNS, context, ranking_result, ranking_xlsx, scorecard_args
from app.web.permissions import READ, WRITE
from app.web.scope import current_scope
from app.web.views.excel import ExcelView

SEVERITY_LABELS = {"critical": _l("Critical"), "warning": _l("Warning"), "info": _l("Info")}
FILTERS = ("set", "period", "region", "tier")


def _english() -> bool:
    return str(get_locale() or "").startswith("en")


def metric_names() -> dict[str, str]:
    """Metric key → its name in the user's language."""
    return {k: (m.name_en if _english() else m.name_zh) for k, m in METRICS.items()}


def dealer_scorecard(code: str, sm) -> dict[str, Any] | None:
    """What the dealer page's scorecard tab shows (the URL's ``set`` and ``period``, else the
    default set and the running period): ``card`` with the labels, or ``error`` when it cannot be
    computed; None without the permission."""
    if not sm.has_access("can_read", "Scorecard"):
        return None
    try:
        a = scorecard_args(request.args)
        card = dealer_card(db.session, current_scope(), a["kpi_set"], a["period"], code, context())
    except DomainError as error:
        return {"error": error.message}
    return {
        "card": card,
        "metric_names": metric_names(),
        "severity_labels": SEVERITY_LABELS,
        "english": _english(),
    }


class ScorecardView(BaseView):
    route_base = "/scorecards"
    class_permission_name = "Scorecard"
    method_permission_name = {"ranking_page": READ, "export": READ, "card_page": READ}
    default_view = "ranking_page"

    @expose("/")
    @has_access
    def ranking_page(self):
        args = {k: request.args[k] for k in FILTERS if request.args.get(k)}
        try:
            result = ranking_result(args)
        except DomainError as error:
            flash(f"{_('Invalid filter')}: {error.message}", "danger")
            args, result = {}, ranking_result({})
        chart = {
            "dealers": [r["dealer"] for r in result["rows"][:30]],
            "totals": [str(r["total"]) for r in result["rows"][:30]],
            "label": _("Score"),
        }
        return self.render_template(
            "scorecards/ranking.html",
            result=result,
            args=args,
            chart=chart,
            sets=records(db.session, active_only=True),
            columns=RANKING_COLUMNS,
            english=_english(),
            title=_("Dealer scorecards"),
        )

    @expose("/export")
    @has_access
    def export(self):
        try:
            return ranking_xlsx(ranking_result(request.args))
        except DomainError as error:
            flash(f"{_('Invalid filter')}: {error.message}", "danger")
            return redirect(url_for("ScorecardView.ranking_page"))

    @expose("/dealer/<code>")
    @has_access
    def card_page(self, code: str):
        shown = dealer_scorecard(code, self.appbuilder.sm)
        if shown is None or "error" in shown:
            flash(shown["error"] if shown else _("No access"), "danger")
            return redirect(url_for("ScorecardView.ranking_page"))
        return self.render_template(
            "scorecards/card.html", shown=shown, title=_("Scorecard of %(dealer)s", dealer=code)
        )


class KpiSetView(BaseView):
    """The KPI set editor: the list of sets, the YAML of one in a textarea, problems beside it."""

    route_base = "/scorecards/sets"
    class_permission_name = "KpiSet"
    method_permission_name = {"list_page": READ, "edit_page": WRITE}
    default_view = "list_page"

    @expose("/")
    @has_access
    def list_page(self):
        return self.render_template(
            "scorecards/sets.html", sets=records(db.session), english=_english(), title=_("KPI sets")
        )

    @expose("/<key>", methods=["GET", "POST"])
    @has_access
    def edit_page(self, key: str):
        try:
            found = record(db.session, key)
        except NotFound:
            found = None
        text = found.yaml_text if found else ""
        problems: list[dict] = []
        status = 200
        if request.method == "POST":
            text = request.form.get("yaml", "")
            try:
                if request.form.get("action") == "check":
                    check_text(key, text)
                    flash(_("The KPI set is valid."), "success")
                else:
                    saved = save_set(db.session, key, text, g.user.username)
                    db.session.commit()
                    flash(_("Saved version %(version)s.", version=saved.version), "success")
                    return redirect(url_for("KpiSetView.edit_page", key=key))
            except KpiSetRefused as refused:
                db.session.rollback()
                problems, status = refused.problems, 422
                flash(_("The KPI set was refused; nothing was saved."), "danger")
        return self.render_template(
            "scorecards/edit.html", key=key, found=found, text=text, problems=problems,
            metric_names=metric_names(), title=_("KPI set %(key)s", key=key),
        ), status  # fmt: skip


class DealerTargetExcelView(ExcelView):
    route_base = "/scorecards/targets"
    class_permission_name = "DealerTarget"
    excel_kind = "dealer_target"
    list_endpoint = "ScorecardView.ranking_page"
    import_title = _l("Import dealer targets")
    insert_label = _l("Insert new targets")
    back_label = _l("Back to scorecards")
