"""``/api/v1/dealer_target/``: dealer targets of scorecards in Excel — import template, import
(a job whose report names each bad row's row, column and reason), progress, export; all inside the
caller's data scope. Permission ``DealerTarget`` (``read`` template/export, ``write`` import)."""

from __future__ import annotations

from app.web.api.base import JsonApi
from app.web.api.excel_api import ExcelApiMixin
from app.web.permissions import READ, WRITE


class DealerTargetApi(ExcelApiMixin, JsonApi):
    resource_name = "dealer_target"
    class_permission_name = "DealerTarget"
    method_permission_name = {
        "excel_template": READ,
        "excel_export": READ,
        "excel_job": READ,
        "excel_import": WRITE,
    }
    openapi_spec_tag = "Scorecards"
    excel_kind = "dealer_target"
