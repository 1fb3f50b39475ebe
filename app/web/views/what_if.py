"""What-if page (数据分析 → 价格模拟, ``/what_if/``): choose SKUs or a product line, a region and a
price change or a promotion (all in the URL), see volume, revenue and margin with and without it,
the elasticity used with its interval and data; save it as a scenario; compare saved scenarios
(``/what_if/compare?ids=1,2``, table and chart). Permission ``WhatIf``, as the API."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.adapters.forecasts_query import visible_regions
from app.adapters.what_if import parse_request, run_what_if
from app.adapters.what_if_scenarios import compare, list_scenarios, parse_ids, save_scenario
from app.domain.errors import DomainError
from app.extensions import db
from app.web.caller import caller
from app.web.permissions import READ, WRITE
from app.web.scope import current_scope

KEPT = ("skus", "product_line", "region", "kind", "pct", "cut_pct", "months")
REASONS = (  # the adapters' reasons (English, with figures) → a translated summary
    ("too little history", _l("Too little history for an estimate")),
    ("too little price variation", _l("Prices hardly varied in the history")),
    ("not significant", _l("The fitted response is not statistically significant")),
    ("demand rose with price", _l("Demand rose with price in the history: other causes than price")),
    ("the regression", _l("The regression failed")),
    ("no forecast", _l("No forecast (not enough history)")),
    ("no sales", _l("No sales in the last 12 months to take a price from")),
    ("no standard cost", _l("No standard cost")),
)


def explain(reason: str) -> str:
    """A translated summary of an elasticity fallback or a skipped SKU's reason."""
    return next((str(label) for start, label in REASONS if (reason or "").startswith(start)), reason)


def _args(source) -> dict[str, str]:
    return {k: str(source.get(k) or "").strip() for k in KEPT if str(source.get(k) or "").strip()}


class WhatIfView(BaseView):
    route_base = "/what_if"
    class_permission_name = "WhatIf"
    method_permission_name = {"what_if_page": READ, "compare_page": READ, "save": WRITE}
    default_view = "what_if_page"

    @expose("/")
    @has_access
    def what_if_page(self):
        args = _args(request.args)
        answer, errors = None, {}
        if args:
            try:
                answer = run_what_if(db.session, current_scope(), parse_request(args))
            except DomainError as error:
                errors = error.errors
                flash(f"{_('Cannot simulate')}: {error.message}", "danger")
        return self.render_template(
            "what_if/index.html",
            args=args,
            answer=answer,
            errors=errors,
            regions=list(visible_regions(db.session, current_scope())),
            scenarios=list_scenarios(db.session, current_scope()),
            can_save=self.appbuilder.sm.has_access("can_write", "WhatIf"),
            explain=explain,
            labels={"without": _("Without the change"), "with": _("With the change"), "volume": _("Volume")},
            title=_("What-if simulation"),
        )

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        args = _args(request.form)
        try:
            body = {**args, "name": request.form.get("name", "")}
            scenario = save_scenario(db.session, current_scope(), caller().name, body)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(f"{_('Cannot save the scenario')}: {error.message}", "danger")
            return redirect(url_for("WhatIfView.what_if_page", **args))
        flash(_("Scenario %(name)s saved.", name=scenario.name), "success")
        return redirect(url_for("WhatIfView.what_if_page", **args))

    @expose("/compare")
    @has_access
    def compare_page(self):
        raw = request.args.get("ids") or ",".join(request.args.getlist("id"))
        try:
            data = compare(db.session, current_scope(), parse_ids(raw))
        except DomainError as error:
            flash(f"{_('Cannot compare')}: {error.message}", "danger")
            return redirect(url_for("WhatIfView.what_if_page"))
        return self.render_template(
            "what_if/compare.html",
            data=data,
            labels={"revenue": _("Revenue"), "margin": _("Margin"), "volume": _("Volume")},
            title=_("Compare scenarios"),
        )
