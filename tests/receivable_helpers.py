"""Orders, shipments written directly with their invoices, payments and credit figures for the
receivables tests."""

from __future__ import annotations

import uuid
from decimal import Decimal

from app.adapters.clock import business_today
from tests.conftest import auth
from tests.order_helpers import create

TODAY = business_today()


def confirmed_order(client, tokens, qty, dealer="dealer_sh1"):
    order = create(client, tokens[dealer], {"lines": [{"sku": "W-550", "qty": qty}]})
    assert order["status"] == "confirmed", order
    return order


def ship(app, order_id, qty, issued_on=None):
    """A shipment of ``qty`` of the order's first line, written directly, and its invoice."""
    from app.adapters import receivables
    from app.extensions import db
    from app.models import SalesOrder, Shipment, ShipmentLine

    with app.app_context():
        order = db.session.get(SalesOrder, order_id)
        tag = uuid.uuid4().hex[:12]
        shipment = Shipment(
            number=f"SHT-{tag}",
            order_id=order.id,
            warehouse_id=order.warehouse_id,
            carrier="SF",
            waybill=tag,
            created_by="t",
            lines=[ShipmentLine(order_line=order.lines[0], qty=qty)],
        )
        db.session.add(shipment)
        db.session.flush()
        invoice = receivables.invoice_shipment(db.session, shipment, on=issued_on)
        again = receivables.invoice_shipment(db.session, shipment)
        assert again.id == invoice.id  # a shipment is invoiced once
        db.session.commit()
        return invoice.id


def invoice(client, token, invoice_id, expect=200):
    resp = client.get(f"/api/v1/invoice/{invoice_id}", headers=auth(token))
    assert resp.status_code == expect, resp.get_json()
    return resp.get_json()


def credit(client, tokens, dealer="D-SH-1"):
    resp = client.get(f"/api/v1/statement/credit?dealer={dealer}", headers=auth(tokens["finance"]))
    assert resp.status_code == 200, resp.get_json()
    return {
        k: (Decimal(v) if isinstance(v, str) and k != "dealer" else v) for k, v in resp.get_json().items()
    }


def pay(client, token, body, expect=201):
    resp = client.post("/api/v1/payment/", json=body, headers=auth(token))
    assert resp.status_code == expect, resp.get_json()
    return resp.get_json()


def payment(amount, dealer="D-SH-1", **extra):
    return {
        "external_id": f"BANK-{uuid.uuid4().hex[:10]}",
        "dealer": dealer,
        "amount": amount,
        "received_on": TODAY.isoformat(),
        **extra,
    }
