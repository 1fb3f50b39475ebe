"""Browser journeys: the real server (``run.py init --demo`` + ``run.py serve``) and Debian's chromium.

Playwright's own browser download is not available on CI machines, so its chromium
driver launches the system ``/usr/bin/chromium`` (``DMS_CHROMIUM`` overrides the path).
Screenshots go to ``DMS_SCREENSHOT_DIR`` (default /tmp/dms-browser-screenshots), never
into the repository.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import ADMIN_PASSWORD, PASSWORD

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("DMS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("DMS_SCREENSHOT_DIR", "/tmp/dms-browser-screenshots"))  # noqa: S108
TIMEOUT_MS = 15_000
TRACKING_SECRET = "browser-tracking-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.25)
    pytest.fail(f"{url} did not answer within {seconds}s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def server_env(tmp_path_factory) -> dict[str, str]:
    """The environment of the module's server (its instance directory holds the SQLite file)."""
    instance = tmp_path_factory.mktemp("instance")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    env.update(
        DMS_INSTANCE_DIR=str(instance),  # SQLite file and secret key live here
        DMS_SCHEDULER="off",
        DMS_ADMIN_PASSWORD=ADMIN_PASSWORD,
        DMS_DEMO_PASSWORD=PASSWORD,
        DMS_DEMO_HISTORY="none",  # demo.yaml only: no generated history (docs/demo_data.md), fast per module
        DMS_LOGIN_RATE_LIMIT="1000 per minute",  # the journeys log in many times
        DMS_FORMS_DIR=str(ROOT / "tests" / "data" / "forms"),  # test forms (e.g. order lines)
        DMS_TRACKING_SECRETS=f"SF={TRACKING_SECRET}",  # the carrier that pushes tracking events
    )
    return env


@pytest.fixture(scope="module")
def cli(server_env):
    """``cli("analytics", "update")`` runs ``run.py`` against the module's server database."""

    def run(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "run.py", *args]
        done = subprocess.run(command, cwd=ROOT, env=server_env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    return run


@pytest.fixture(scope="module")
def server(server_env) -> str:
    """Base URL of a freshly initialised server with demo data; stopped after the module."""
    env, instance = server_env, Path(server_env["DMS_INSTANCE_DIR"])
    init = subprocess.run(
        [sys.executable, "run.py", "init", "--demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert init.returncode == 0, init.stdout + init.stderr

    port = _free_port()
    log_path = instance / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "run.py", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base_url}/login/", proc, log_path)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Browser:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no chromium at {CHROMIUM}: apt-get install chromium (or set DMS_CHROMIUM)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, server):
    """Factory: a page in a new browser context (own cookies), e.g. ``new_page(viewport=...)``."""
    contexts = []

    def make(**context_options) -> Page:
        # The browser asks for English (Accept-Language: en-US): Chinese pages can only
        # come from the server's default or the user's stored choice.
        context_options.setdefault("locale", "en-US")
        context = browser.new_context(base_url=server, **context_options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    """``screenshot(page, "name")`` saves a full-page PNG under SCREENSHOTS and returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
