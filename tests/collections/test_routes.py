"""Collections: create, list mine, rename, move, delete; roles and team isolation on every route."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.api.test_errors import assert_problem
from tests.collections.conftest import ANNO, annotation, new_collection, post_annotation
from tests.conftest import Account, AccountFactory


async def test_create_team_and_private_collections(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann", team="desk", role="editor")
    assert ann.team is not None
    response = await client.post(
        "/v1/collections", json={"name": "Chips", "team_id": str(ann.team.id)}, headers=ann.headers
    )
    assert response.status_code == 201
    created = response.json()
    assert response.headers["etag"].startswith('"')
    assert response.headers["location"].endswith(f"/v1/collections/{created['id']}")
    assert created["team_id"] == str(ann.team.id)
    assert created["private"] is False
    assert created["role"] == "editor"
    assert created["can_manage"] is True  # its creator manages it
    assert created["total"] == 0
    assert created["annotations_url"] == (
        f"http://gloss.test/v1/collections/{created['id']}/annotations/"
    )
    private = await new_collection(client, ann, "Mine", private=True)
    assert private["private"] is True
    assert private["team_id"] is None
    assert private["role"] == "owner"


async def test_create_needs_editor_and_membership(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    viewer = await make_account("vic", team="desk", role="viewer")
    outsider = await make_account("olga", team="other")
    assert viewer.team is not None
    body = {"name": "Chips", "team_id": str(viewer.team.id)}
    assert_problem(
        await client.post("/v1/collections", json=body, headers=viewer.headers), 403, "forbidden"
    )
    assert_problem(
        await client.post("/v1/collections", json=body, headers=outsider.headers),
        404,
        "not-found",
    )
    # Viewers may still keep private collections of their own.
    assert (await new_collection(client, viewer, private=True))["private"] is True


@pytest.mark.parametrize("name", ["", " padded ", "x" * 201])
async def test_collection_name_is_validated(
    client: httpx.AsyncClient, make_account: AccountFactory, name: str
) -> None:
    ann = await make_account("ann")
    response = await client.post("/v1/collections", json={"name": name}, headers=ann.headers)
    assert_problem(response, 422, "validation-error")


async def test_list_mine_shows_my_teams_and_my_private_ones_only(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann", team="desk")
    bob = await make_account("bob", team="desk", role="editor")
    eve = await make_account("eve", team="other")
    await new_collection(client, ann, "A team")
    await new_collection(client, ann, "B mine", private=True)
    await new_collection(client, bob, "C bob's private", private=True)
    await new_collection(client, bob, "D team by bob")
    await new_collection(client, eve, "E other team")
    listed = (await client.get("/v1/collections", headers=ann.headers)).json()
    assert [c["name"] for c in listed["items"]] == ["A team", "B mine", "D team by bob"]
    assert listed["next_cursor"] is None
    by_name = {c["name"]: c for c in listed["items"]}
    assert by_name["D team by bob"]["can_manage"] is True  # ann owns the team
    bobs = (await client.get("/v1/collections", headers=bob.headers)).json()["items"]
    assert {c["name"]: c["can_manage"] for c in bobs} == {
        "A team": False,
        "C bob's private": True,
        "D team by bob": True,
    }
    # Paging with a cursor, and the team filter.
    first = (await client.get("/v1/collections?limit=2", headers=ann.headers)).json()
    assert len(first["items"]) == 2
    rest = await client.get(
        "/v1/collections", params={"limit": 2, "cursor": first["next_cursor"]}, headers=ann.headers
    )
    assert [c["name"] for c in rest.json()["items"]] == ["D team by bob"]
    assert ann.team is not None
    team_only = await client.get(
        "/v1/collections", params={"team_id": str(ann.team.id)}, headers=ann.headers
    )
    assert [c["name"] for c in team_only.json()["items"]] == ["A team", "D team by bob"]
    # Another team's list is a 404, as its glossaries and articles are: not an empty page.
    assert eve.team is not None
    foreign = await client.get(
        "/v1/collections", params={"team_id": str(eve.team.id)}, headers=ann.headers
    )
    assert_problem(foreign, 404, "not-found")
    bad = await client.get("/v1/collections?cursor=nonsense", headers=ann.headers)
    assert_problem(bad, 400, "bad-request")


async def test_total_counts_annotations(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    for exact in ("Nvidia", "Tuesday"):
        assert (
            await post_annotation(client, ann, collection, annotation(exact))
        ).status_code == 201
    fetched = await client.get(f"/v1/collections/{collection['id']}", headers=ann.headers)
    assert fetched.json()["total"] == 2
    listed = (await client.get("/v1/collections", headers=ann.headers)).json()["items"]
    assert listed[0]["total"] == 2


async def test_rename_with_if_match(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    url = f"/v1/collections/{collection['id']}"
    etag = (await client.get(url, headers=ann.headers)).headers["etag"]
    renamed = await client.patch(
        url, json={"name": "Semis"}, headers={**ann.headers, "If-Match": etag}
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Semis"
    assert renamed.headers["etag"] != etag
    stale = await client.patch(
        url, json={"name": "Stale"}, headers={**ann.headers, "If-Match": etag}
    )
    assert_problem(stale, 412, "precondition-failed")
    assert (await client.get(url, headers=ann.headers)).json()["name"] == "Semis"


async def test_move_to_another_of_my_teams(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann", team="desk")
    await make_account("ann", team="lab", role="editor")
    await make_account("ann", team="museum", role="viewer")
    bob = await make_account("bob", team="desk", role="viewer")
    carol = await make_account("carol", team="lab", role="viewer")
    eve = await make_account("eve", team="elsewhere")
    assert eve.team is not None
    collection = await new_collection(client, ann)
    url = f"/v1/collections/{collection['id']}"
    teams = {
        t["name"]: t["id"] for t in (await client.get("/v1/teams", headers=ann.headers)).json()
    }

    assert (await client.get(url, headers=bob.headers)).status_code == 200
    moved = await client.patch(url, json={"team_id": teams["lab"]}, headers=ann.headers)
    assert moved.status_code == 200
    assert moved.json()["team_id"] == teams["lab"]
    assert_problem(await client.get(url, headers=bob.headers), 404, "not-found")
    assert (await client.get(url, headers=carol.headers)).status_code == 200

    not_mine = await client.patch(url, json={"team_id": str(eve.team.id)}, headers=ann.headers)
    assert_problem(not_mine, 404, "not-found")
    viewer_there = await client.patch(url, json={"team_id": teams["museum"]}, headers=ann.headers)
    assert_problem(viewer_there, 403, "forbidden")

    private = await client.patch(url, json={"team_id": None}, headers=ann.headers)
    assert private.json()["private"] is True
    assert_problem(await client.get(url, headers=carol.headers), 404, "not-found")


async def test_delete_removes_its_annotations(
    client: httpx.AsyncClient, make_account: AccountFactory, sessionmaker: Any
) -> None:
    from sqlalchemy import func, select

    from gloss.models import Annotation

    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    created = await post_annotation(client, ann, collection, annotation())
    iri = created.headers["location"]
    url = f"/v1/collections/{collection['id']}"
    stale = await client.delete(url, headers={**ann.headers, "If-Match": '"stale"'})
    assert_problem(stale, 412, "precondition-failed")
    assert (await client.delete(url, headers=ann.headers)).status_code == 204
    assert_problem(await client.get(url, headers=ann.headers), 404, "not-found")
    assert_problem(await client.get(iri, headers=ann.headers), 404, "not-found")
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Annotation)) == 0


# --- Roles and isolation, route by route ----------------------------------------------------


def _routes(collection: dict[str, Any], iri: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every collection route with a valid request for it: (method, url, httpx kwargs)."""
    cid = collection["id"]
    container = collection["annotations_url"]
    doc = annotation("Tuesday")
    body = {"content": json.dumps(doc), "headers": {"Content-Type": ANNO}}
    return [
        ("GET", f"/v1/collections/{cid}", {}),
        ("PATCH", f"/v1/collections/{cid}", {"json": {"name": "Renamed"}}),
        ("GET", container, {}),
        ("HEAD", container, {}),
        ("OPTIONS", container, {}),
        ("GET", f"{container}?page=0", {}),
        ("POST", container, body),
        ("GET", iri, {}),
        ("HEAD", iri, {}),
        ("OPTIONS", iri, {}),
        ("PUT", iri, body),
        ("GET", f"/v1/collections/{cid}/export?format=csv", {}),
        ("POST", f"/v1/collections/{cid}/import", {"json": doc}),
        ("GET", f"/v1/collections/{cid}/share-links", {}),
        ("POST", f"/v1/collections/{cid}/share-links", {}),
        ("GET", f"/c/{cid}", {}),
        ("DELETE", iri, {}),
        ("DELETE", f"/v1/collections/{cid}/share-links/{uuid.uuid4()}", {}),
        ("DELETE", f"/v1/collections/{cid}", {}),
    ]


async def _call(
    client: httpx.AsyncClient, account: Account, method: str, url: str, kwargs: dict[str, Any]
) -> httpx.Response:
    headers = {**kwargs.get("headers", {}), **account.headers}
    if method == "PUT":
        etag = (await client.get(url, headers=account.headers)).headers.get("etag", '"x"')
        headers["If-Match"] = etag
    rest = {k: v for k, v in kwargs.items() if k != "headers"}
    return await client.request(method, url, headers=headers, **rest)


async def test_another_teams_collection_is_404_on_every_route(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann", team="desk")
    eve = await make_account("eve", team="other")
    collection = await new_collection(client, ann)
    iri = (await post_annotation(client, ann, collection, annotation())).headers["location"]
    for method, url, kwargs in _routes(collection, iri):
        response = await _call(client, eve, method, url, kwargs)
        assert response.status_code == 404, (method, url, response.text)
        if method != "HEAD":
            assert_problem(response, 404, "not-found")


async def test_a_private_collection_is_404_to_teammates_on_every_route(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann", team="desk", role="editor")
    boss = await make_account("boss", team="desk", role="owner")
    collection = await new_collection(client, ann, private=True)
    iri = (await post_annotation(client, ann, collection, annotation())).headers["location"]
    for method, url, kwargs in _routes(collection, iri):
        response = await _call(client, boss, method, url, kwargs)
        assert response.status_code == 404, (method, url, response.text)


async def test_viewers_read_and_nothing_else(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann", team="desk")
    vic = await make_account("vic", team="desk", role="viewer")
    collection = await new_collection(client, ann)
    iri = (await post_annotation(client, ann, collection, annotation())).headers["location"]
    reads = {"GET", "HEAD", "OPTIONS"}
    for method, url, kwargs in _routes(collection, iri):
        response = await _call(client, vic, method, url, kwargs)
        if method in reads and "share-links" not in url:
            assert response.status_code in (200, 204), (method, url, response.text)
        else:
            assert response.status_code == 403, (method, url, response.text)
            assert_problem(response, 403, "forbidden")


async def test_editors_add_and_edit_anyones_annotations_but_do_not_manage(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann", team="desk")
    eddie = await make_account("eddie", team="desk", role="editor")
    collection = await new_collection(client, ann)
    iri = (await post_annotation(client, ann, collection, annotation())).headers["location"]
    manage = {"PATCH", "DELETE"}
    for method, url, kwargs in _routes(collection, iri):
        response = await _call(client, eddie, method, url, kwargs)
        managing = "share-links" in url or (method in manage and "/annotations/" not in url)
        if managing:
            assert response.status_code == 403, (method, url, response.text)
        else:
            assert response.status_code in (200, 201, 204), (method, url, response.text)
    # The annotation ann wrote was edited, then deleted, by the editor.
    assert_problem(await client.get(iri, headers=ann.headers), 404, "not-found")


async def test_owners_manage_everything(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann", team="desk", role="editor")
    boss = await make_account("boss", team="desk", role="owner")
    collection = await new_collection(client, ann)
    iri = (await post_annotation(client, ann, collection, annotation())).headers["location"]
    for method, url, kwargs in _routes(collection, iri):
        response = await _call(client, boss, method, url, kwargs)
        if "/share-links/" in url:
            assert response.status_code == 404  # allowed, but that random link does not exist
        else:
            assert response.status_code in (200, 201, 204), (method, url, response.text)


async def test_every_route_needs_a_token(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    collection = await new_collection(client, ann)
    iri = (await post_annotation(client, ann, collection, annotation())).headers["location"]
    for method, url, kwargs in _routes(collection, iri):
        response = await client.request(method, url, **kwargs)
        assert response.status_code == 401, (method, url)
    assert (await client.get("/v1/collections")).status_code == 401
    assert (await client.get("/v1/annotations?url=https://a.example/")).status_code == 401
