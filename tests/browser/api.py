"""Small HTTP helpers for browser journeys: set up data through the server's own REST API."""

from __future__ import annotations

import json
import urllib.request
import uuid
from pathlib import Path


def _send(request: urllib.request.Request) -> dict:
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (our local test server)
        return json.loads(response.read())


def post_json(url: str, body: dict, token: str | None = None) -> dict:
    """POST ``body`` as JSON (with a bearer token if given) and return the JSON answer."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return _send(urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST"))  # noqa: S310


def login(server: str, username: str, password: str) -> str:
    """A JWT access token for ``username``."""
    body = {"username": username, "password": password, "provider": "db"}
    return post_json(f"{server}/api/v1/security/login", body)["access_token"]


def deploy(server: str, token: str, paths: list[Path]) -> dict:
    """Deploy BPMN/DMN files as one process version (multipart upload, field ``file``)."""
    boundary = uuid.uuid4().hex
    body = b""
    for path in paths:
        body += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
                "Content-Type: application/xml\r\n\r\n"
            ).encode()
            + path.read_bytes()
            + b"\r\n"
        )
    body += f"--{boundary}--\r\n".encode()
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    url = f"{server}/api/v1/process_definition/"
    return _send(urllib.request.Request(url, data=body, headers=headers, method="POST"))  # noqa: S310
