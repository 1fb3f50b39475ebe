"""``/api/v1/payment/`` and ``/api/v1/invoice/``: payments recorded by finance or posted by the
ERP (idempotent by external id; allocated to invoices), imported from Excel, listed; invoices
listed with what is paid. Permission class ``Receivable`` (``read``: lists, records, Excel
template and export; ``write``: record or import payments). Everything is limited to the caller's
data scope."""

from __future__ import annotations

from flask import request
from flask_appbuilder.api import expose, protect, safe

from app.adapters import payments, receivable_views
from app.domain.errors import DomainError, ValidationFailed
from app.engine import outbox
from app.extensions import db
from app.web.api.base import JsonApi, pk_in_range
from app.web.api.excel_api import ExcelApiMixin
from app.web.caller import caller
from app.web.permissions import READ, WRITE

EXCEL_PERMISSIONS = {"excel_template": READ, "excel_export": READ, "excel_job": READ, "excel_import": WRITE}


class ReceivableApiBase(JsonApi):
    class_permission_name = "Receivable"


class PaymentApi(ExcelApiMixin, ReceivableApiBase):
    resource_name = "payment"
    excel_kind = "payment"
    method_permission_name = {"create": WRITE, "list_payments": READ, "show": READ, **EXCEL_PERMISSIONS}
    openapi_spec_tag = "Receivables"

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def create(self):
        """Record a payment; the same payment posted again returns the first one.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  required: [external_id, dealer, amount, received_on]
                  properties:
                    external_id: {type: string, maxLength: 100}
                    dealer: {type: string}
                    amount: {type: string, description: "above 0, at most 2 decimals"}
                    received_on: {type: string, format: date}
                    method: {type: string, maxLength: 30}
                    reference: {type: string, maxLength: 100, description: an order number it pays}
          responses:
            201: {description: "The payment with its allocations to invoices"}
            200: {description: The same payment was recorded before; it is returned unchanged}
            409: {description: The external id was used for another payment (the differing fields named)}
            422: {description: Invalid input or an unknown dealer, naming the field}
        """
        body = request.get_json(silent=True)
        try:
            payment, created = payments.record_payment(db.session, body, caller(), source="erp")
        except DomainError as error:
            return self.fail(error)
        return self.response(201 if created else 200, **payments.as_json(db.session, payment))

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def list_payments(self):
        """Payments in your data scope, newest first.
        ---
        get:
          parameters:
          - {in: query, name: dealer, schema: {type: string}}
          - {in: query, name: status, schema: {type: string, enum: [unallocated]}}
          - {in: query, name: from, schema: {type: string, format: date}}
          - {in: query, name: to, schema: {type: string, format: date}}
          - {in: query, name: page, schema: {type: integer, minimum: 0}}
          - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 200}}
          responses:
            200: {description: "{count, result: [...]}"}
            422: {description: A bad filter}
        """
        try:
            filters = receivable_views.parse_filters(request.args, receivable_views.PAYMENT_STATUSES)
            count, rows = receivable_views.payment_page(db.session, caller().scope, filters)
        except DomainError as error:
            return self.fail(error)
        return self.response(200, count=count, result=[payments.as_json(db.session, p) for p in rows])

    @expose("/<pk>", methods=["GET"])
    @protect()
    @safe
    def show(self, pk):
        """One payment with its allocations (404 outside your data scope).
        ---
        get:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: The payment}
            404: {description: Not found or outside your data scope}
        """
        if not pk_in_range(pk):
            return self.response_404()
        try:
            found = payments.find(db.session, int(pk), caller().scope)
        except DomainError as error:
            return self.fail(error)
        return self.response(200, **payments.as_json(db.session, found))

    @expose("/import", methods=["POST"])
    @protect()
    @safe
    def excel_import(self):
        """Import payments from an .xlsx file (insert only); answers with the job.
        ---
        post:
          requestBody:
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    file: {type: string, format: binary}
                    mode: {type: string, enum: [insert], default: insert}
                    all_or_nothing: {type: boolean, default: true}
                  required: [file]
          responses:
            202: {description: "The job: {job: id, status, ...}; small files are already done"}
            422: {description: "Refused: not .xlsx, damaged, encrypted, macros, too large, columns missing"}
        """
        response = super().excel_import()
        if db.session.info.get(outbox.PENDING):
            outbox.drain(db.session)  # deposits paid by the imported rows wake their orders' flows
        return response


class InvoiceApi(ReceivableApiBase):
    resource_name = "invoice"
    method_permission_name = {"list_invoices": READ, "show": READ}
    openapi_spec_tag = "Receivables"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def list_invoices(self):
        """Invoices in your data scope, oldest due first.
        ---
        get:
          parameters:
          - {in: query, name: dealer, schema: {type: string}}
          - {in: query, name: status, schema: {type: string,
              enum: [open, partially_paid, paid, cancelled, unpaid, overdue]}}
          - {in: query, name: from, schema: {type: string, format: date}, description: issued on or after}
          - {in: query, name: to, schema: {type: string, format: date}, description: issued on or before}
          - {in: query, name: page, schema: {type: integer, minimum: 0}}
          - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 200}}
          responses:
            200: {description: "{count, result: [...]}"}
            422: {description: A bad filter}
        """
        try:
            filters = receivable_views.parse_filters(request.args)
            count, rows = receivable_views.invoice_page(db.session, caller().scope, filters)
        except DomainError as error:
            return self.fail(error)
        return self.response(
            200, count=count, result=[receivable_views.invoice_json(db.session, i) for i in rows]
        )

    @expose("/<pk>", methods=["GET"])
    @protect()
    @safe
    def show(self, pk):
        """One invoice with the payments allocated to it (404 outside your data scope).
        ---
        get:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: The invoice}
            404: {description: Not found or outside your data scope}
        """
        if not pk_in_range(pk):
            return self.response_404()
        try:
            found = receivable_views.find_invoice(db.session, int(pk), caller().scope)
        except DomainError as error:
            return self.fail(error)
        return self.response(200, **receivable_views.invoice_json(db.session, found, with_payments=True))


def json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object", {"body": "a JSON object"})
    return body
