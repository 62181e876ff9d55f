"""The share page: who may open it, share links the owner revokes, escaping and a strict CSP."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from typing import Any

import httpx

from gloss.collections.share import CONTENT_SECURITY_POLICY
from tests.api.test_errors import assert_problem
from tests.collections.conftest import annotation, new_collection, post_annotation
from tests.conftest import Account, AccountFactory

EVIL = '<script>window.__pwned = 1</script><img src=x onerror="alert(1)">'


async def _share(client: httpx.AsyncClient, account: Account, cid: str) -> dict[str, Any]:
    response = await client.post(f"/v1/collections/{cid}/share-links", headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _path(url: str) -> str:
    return url.removeprefix("http://gloss.test")


async def test_share_links_open_the_page_until_revoked(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    await post_annotation(client, ann, collection, annotation())
    link = await _share(client, ann, collection["id"])
    assert link["url"].startswith(f"http://gloss.test/c/{collection['id']}?key=glc_")
    assert link["url"].split("key=")[1].startswith(link["prefix"])
    assert link["revoked_at"] is None

    listed = await client.get(
        f"/v1/collections/{collection['id']}/share-links", headers=ann.headers
    )
    assert [item["id"] for item in listed.json()] == [link["id"]]
    assert "url" not in listed.json()[0]  # the key is shown once

    page = await client.get(_path(link["url"]))  # no token: the key is enough
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "demand for its chips" in page.text

    revoked = await client.delete(
        f"/v1/collections/{collection['id']}/share-links/{link['id']}", headers=ann.headers
    )
    assert revoked.status_code == 204
    _invalid_link_page(await client.get(_path(link["url"])), 404)
    listed = await client.get(
        f"/v1/collections/{collection['id']}/share-links", headers=ann.headers
    )
    assert listed.json()[0]["revoked_at"] is not None


def _invalid_link_page(response: httpx.Response, status: int) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "This link is not valid" in response.text
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_who_opens_the_share_page(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann", team="desk")
    vic = await make_account("vic", team="desk", role="viewer")
    eve = await make_account("eve", team="other")
    collection = await new_collection(client, ann)
    other = await new_collection(client, eve, "Eve's")
    url = f"/c/{collection['id']}"
    assert (await client.get(url, headers=vic.headers)).status_code == 200
    assert_problem(await client.get(url, headers=eve.headers), 404, "not-found")
    # A person following a link that does not open gets a page saying so, not JSON.
    _invalid_link_page(await client.get(url), 401)
    _invalid_link_page(await client.get(url + "?key=glc_wrong"), 404)
    _invalid_link_page(await client.get(f"/c/{uuid.uuid4()}?key=glc_wrong"), 404)
    # A key opens only the collection it was made for.
    eves_key = (await _share(client, eve, other["id"]))["url"].split("key=")[1]
    _invalid_link_page(await client.get(f"{url}?key={eves_key}"), 404)
    # Only those who manage the collection make links.
    response = await client.post(
        f"/v1/collections/{collection['id']}/share-links", headers=vic.headers
    )
    assert_problem(response, 403, "forbidden")


async def test_page_groups_by_article_and_escapes_all_user_text(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann, EVIL)
    await post_annotation(
        client,
        ann,
        collection,
        annotation("Nvidia", note=EVIL, tags=("<b>bold</b>",), color="green"),
    )
    evil_quote = annotation("Tuesday", source='https://b.example/"onmouseover="alert(1)')
    evil_quote["target"]["selector"][0]["exact"] = EVIL
    await post_annotation(client, ann, collection, evil_quote)
    await post_annotation(client, ann, collection, annotation("chips"))
    response = await client.get(f"/c/{collection['id']}", headers=ann.headers)
    html = response.text
    assert "<script" not in html
    assert "<img" not in html
    assert "<b>" not in html
    assert 'onmouseover="' not in html
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    sections = re.findall(r'<section class="page"><h2><a href="([^"]+)"', html)
    assert sections == [
        "https://news.example/2026/11/chips?utm_source=x",
        "https://b.example/%22onmouseover=%22alert(1)",
    ]
    assert html.count('<li class="highlight') == 3
    assert 'class="highlight c-green"' in html
    assert 'href="https://news.example/2026/11/chips?utm_source=x#:~:text=Nvidia"' in html


async def test_share_page_sends_a_strict_content_security_policy(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    response = await client.get(f"/c/{collection['id']}", headers=ann.headers)
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp
    style = re.search(r"<style>(.*?)</style>", response.text, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert directives["style-src"] == f"'sha256-{digest}'"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in response.headers["cache-control"]
    assert "No highlights yet." in response.text


async def test_each_page_is_headed_by_the_title_the_extension_sent(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    titled = annotation("Nvidia")
    titled["target"]["title"] = "Nvidia  says\ndemand <is> strong"
    created = (await post_annotation(client, ann, collection, titled)).json()
    # Stored as one line of text, and given back in the target.
    assert created["target"]["title"] == "Nvidia says demand <is> strong"
    await post_annotation(
        client, ann, collection, annotation("Tuesday", source="https://b.example/untitled")
    )
    html = (await client.get(f"/c/{collection['id']}", headers=ann.headers)).text
    headings = re.findall(r'<section class="page"><h2><a href="[^"]+"[^>]*>([^<]+)</a>', html)
    # The titled page by its title (escaped), its URL beneath; the other by its URL.
    assert headings == ["Nvidia says demand &lt;is&gt; strong", "https://b.example/untitled"]
    assert '<p class="meta url">https://news.example/2026/11/chips?utm_source=x</p>' in html
    markdown = await client.get(
        f"/v1/collections/{collection['id']}/export",
        params={"format": "markdown"},
        headers=ann.headers,
    )
    assert "## [Nvidia says demand \\<is\\> strong](<https://news.example" in markdown.text


async def test_a_title_that_is_not_one_line_of_text_is_refused(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    for bad in ("x" * 1001, "bell\x07", 42):
        doc = annotation("Nvidia")
        doc["target"]["title"] = bad
        response = await post_annotation(client, ann, collection, doc)
        problem = assert_problem(response, 422, "validation-error")
        assert "title" in str(problem), problem
