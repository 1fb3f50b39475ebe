"""A small world to order in (tests of webhooks, e-mail and order alerts): the test world plus
two products with stock at the East and South warehouses and a published price policy."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.conftest import auth, init_world, make_app

CATALOGUE = {
    "product_lines": [{"code": "BEV", "name": "饮料"}],
    "products": [
        {"code": "W-550", "name": "矿泉水 550ml", "product_line": "BEV", "unit": "箱"},
        {"code": "T-500", "name": "绿茶 500ml", "product_line": "BEV", "unit": "箱"},
    ],
    "warehouses": [
        {"code": "WH-HQ", "name": "总仓", "kind": "hq", "region": "SH"},
        {"code": "WH-EAST", "name": "华东仓", "kind": "regional", "parent": "WH-HQ", "region": "EAST"},
        {"code": "WH-SOUTH", "name": "华南仓", "kind": "regional", "parent": "WH-HQ", "region": "SOUTH"},
    ],
    "stock": [
        {"external_id": "r1", "warehouse": "WH-EAST", "sku": "W-550", "qty": 5000, "batch": "B1"},
        {"external_id": "r2", "warehouse": "WH-EAST", "sku": "T-500", "qty": 5, "batch": "B2"},
        {"external_id": "r3", "warehouse": "WH-SOUTH", "sku": "W-550", "qty": 5, "batch": "B3"},
    ],
}
PRICES = [("W-550", "30.00"), ("T-500", "45.00")]


def order_app(database_url: str, **overrides):
    """An initialised app with the catalogue, stock and prices above."""
    from app.adapters import pricing_admin
    from app.adapters.demo_inventory import load_inventory
    from app.extensions import db

    application = make_app(database_url, **overrides)
    init_world(application)
    with application.app_context():
        load_inventory(db.session, CATALOGUE)
        draft = pricing_admin.create_draft(db.session, "finance")
        for sku, price in PRICES:
            values = pricing_admin.record_values(db.session, {"type": "base", "sku": sku, "price": price})
            pricing_admin.add_record(db.session, draft, values)
        pricing_admin.publish(db.session, draft, None, "finance")
        db.session.commit()
    return application


def close(application) -> None:
    from app.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def place_order(client, token, lines, expect=201) -> dict:
    """Create (and submit) an order through the API."""
    resp = client.post("/api/v1/order/", json={"lines": lines}, headers=auth(token))
    assert resp.status_code == expect, resp.get_json()
    return resp.get_json()


class Receiver:
    """A local HTTP server that records every POST and answers with ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "raw": raw})
                self.send_response(receiver.status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if receiver.status < 300 else b"receiver broken")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/dms"

    def bodies(self) -> list[dict]:
        return [json.loads(r["raw"]) for r in self.requests]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
