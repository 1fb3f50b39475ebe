"""Dealer Excel pages (``/dealers/excel/…``) on the generic Excel pages of ``views/excel.py``;
``DealerExcelButtons`` puts the three buttons on the dealer list page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.web.views.excel import ExcelView, excel_buttons

DealerExcelButtons = excel_buttons("DealerExcelView", "Dealer")


class DealerExcelView(ExcelView):
    route_base = "/dealers/excel"
    class_permission_name = "Dealer"
    excel_kind = "dealer"
    list_endpoint = "DealerView.list"
    import_title = _l("Import dealers")
    insert_label = _l("Insert new dealers")
    back_label = _l("Back to dealers")
