"""Dealer Excel endpoints, mixed into ``DealerApi``: template, import, import progress, export.

Permissions: template, progress and export need Dealer read; import needs Dealer write.
Rows are scoped like everything else: the export holds only dealers the caller may see, and
an imported row may only create, move or update a dealer inside the caller's data scope.
"""

from __future__ import annotations

from app.web.api.excel_api import ExcelApiMixin


class DealerExcelApi(ExcelApiMixin):
    excel_kind = "dealer"
