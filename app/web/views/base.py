"""Base class for our model pages: scope, read/write permissions."""

from __future__ import annotations

from flask_appbuilder import ModelView

from app.web.permissions import RW_METHOD_PERMISSIONS
from app.web.scope import ScopedViewMixin


class DmsModelView(ScopedViewMixin, ModelView):
    method_permission_name = RW_METHOD_PERMISSIONS
    page_size = 25
