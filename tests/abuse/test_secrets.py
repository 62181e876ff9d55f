"""Secrets stay secret on a live server: API tokens and share keys, good or bad, in headers or
query strings, never reach the JSON log; the share page sends a strict CSP over real HTTP."""

from __future__ import annotations

import json
import secrets

import httpx
import pytest

from tests.abuse.conftest import Deployment

# commits: a live server process on the test database.
pytestmark = pytest.mark.commits


def _csp_is_strict(csp: str) -> None:
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    for name in ("default-src", "script-src", "img-src", "base-uri", "form-action"):
        assert directives[name] == "'none'", (name, csp)
    assert directives["frame-ancestors"] == "'none'", csp
    assert directives["style-src"].startswith("'sha256-"), csp
    for loose in ("unsafe-inline", "unsafe-eval", "*", "http:", "https:", "data:"):
        assert loose not in csp, (loose, csp)


def test_tokens_and_share_keys_never_reach_the_log(deployment: Deployment) -> None:
    token = deployment.token
    bad = "gls_" + secrets.token_urlsafe(32)
    near_miss = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with (
        deployment.serve(GLOSS_LOG_FORMAT="json", GLOSS_LOG_LEVEL="DEBUG") as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        good = {"Authorization": f"Bearer {token}"}
        assert http.get("/v1/me", headers=good).status_code == 200
        for header in (f"Bearer {bad}", f"Bearer {near_miss}", f"Basic {token}", bad, token):
            assert http.get("/v1/me", headers={"Authorization": header}).status_code == 401
        assert http.get("/v1/me", headers={"Authorization": "Bearer " + bad * 20}).status_code
        # Tokens in the query string (where they do not belong) are not logged either.
        assert http.get("/v1/me", params={"access_token": token, "token": bad}).status_code == 401
        assert http.get("/v1/glossaries", params={"token": token}, headers=good).status_code == 200
        # Validation errors do not echo a secret into the log.
        invalid = http.post("/v1/teams", json={"name": 42, "token": token}, headers=good)
        assert invalid.status_code == 422

        created = http.post("/v1/tokens", json={"name": "short-lived"}, headers=good).json()
        fresh = created["token"]
        assert http.get("/v1/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
        revoked = http.delete(f"/v1/tokens/{created['id']}", headers=good)
        assert revoked.status_code == 204
        assert http.get("/v1/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 401

        team_id = http.get("/v1/me", headers=good).json()["teams"][0]["id"]
        cid = http.post(
            "/v1/collections", json={"name": "Shared", "team_id": team_id}, headers=good
        ).json()["id"]
        link = http.post(f"/v1/collections/{cid}/share-links", headers=good).json()
        key = httpx.URL(link["url"]).params["key"]
        page = http.get(f"/c/{cid}", params={"key": key})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        _csp_is_strict(page.headers["content-security-policy"])
        assert page.headers["referrer-policy"] == "no-referrer"
        wrong_key = "glc_" + secrets.token_urlsafe(24)
        assert http.get(f"/c/{cid}", params={"key": wrong_key}).status_code == 404
        anonymous = http.get(f"/c/{cid}")
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"].startswith("text/html")
        assert "This link is not valid" in anonymous.text
        log = server.log()

    # Every line is JSON, uvicorn's own included, and every request's line has its id.
    lines = [line for line in log.splitlines() if line.strip()]
    assert lines, "expected JSON log lines"
    entries = [json.loads(line) for line in lines]
    access = [e for e in entries if e["logger"] == "gloss.access"]
    assert access
    assert all(len(e["request_id"]) >= 16 for e in access)
    for secret in (token, bad, near_miss, fresh, key, wrong_key):
        # The random part too, so a secret cut or re-encoded in a message is caught.
        for needle in (secret, secret[4:24]):
            assert needle not in log, f"a secret reached the log: {needle[:8]}…"
