"""Serve the app with gunicorn (a production WSGI server) from ``run.py serve``."""

from __future__ import annotations

import gc

from gunicorn.app.base import BaseApplication


class DmsGunicorn(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from app import create_app

        app = create_app()
        # Everything alive once the app is loaded (about 365,000 objects: modules, classes, the
        # mappers) lives as long as the worker: keep it out of the cyclic collector's sight, or
        # each full collection walks it all again, a pause of about 0.15 s every few requests
        # that build large results (docs/analytics.md, "Speed").
        gc.collect()
        gc.freeze()
        return app


def run_gunicorn(host: str, port: int, workers: int) -> None:
    """Block serving on host:port with ``workers`` processes."""
    DmsGunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": max(1, workers),
            "accesslog": "-",
            "timeout": 60,
            "preload_app": False,
        }
    ).run()
