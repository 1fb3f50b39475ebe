"""Permission names: every view and its API share one class permission and two verbs.

``read`` covers list/show/get/info/download; ``write`` covers add/edit/delete/post/put;
``manage`` is for operations on running processes (cancel, suspend, retry); ``move`` posts
stock movements (a role with ``move`` but not ``Stock`` ``write`` may only report sell-out);
``receive`` confirms receipt of a shipment (dealers).
roles.yaml grants these per view name (e.g. ``Dealer: [read, write]``).
"""

READ, WRITE, MANAGE, MOVE, RECEIVE = "read", "write", "manage", "move", "receive"

RW_METHOD_PERMISSIONS = {
    "get": READ,
    "get_list": READ,
    "info": READ,
    "list": READ,
    "show": READ,
    "download": READ,
    "api": READ,
    "api_read": READ,
    "api_get": READ,
    "api_column_add": READ,
    "api_column_edit": READ,
    "api_readvalues": READ,
    "post": WRITE,
    "put": WRITE,
    "delete": WRITE,
    "add": WRITE,
    "edit": WRITE,
    "action": WRITE,
    "action_post": WRITE,
    "api_create": WRITE,
    "api_update": WRITE,
    "api_delete": WRITE,
    # Excel import/export (app/web/api/dealer_excel.py, app/web/views/dealer_excel.py)
    "excel_template": READ,
    "excel_export": READ,
    "excel_job": READ,
    "excel_job_page": READ,
    "excel_import": WRITE,
}
