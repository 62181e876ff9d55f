"""Glossary and term routes: every route, every role; another team's glossary is 404."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gloss.glossaries import schemas
from tests.api.test_errors import assert_problem
from tests.conftest import Account
from tests.glossaries.conftest import add_term

G = "/v1/glossaries"


async def _version(client: httpx.AsyncClient, account: Account, glossary_id: str) -> int:
    response = await client.get(f"{G}/{glossary_id}", headers=account.headers)
    return int(response.json()["version"])


# --- glossaries ------------------------------------------------------------------------------


async def test_create_read_list_glossaries(
    client: httpx.AsyncClient, owner: Account, editor: Account, viewer: Account
) -> None:
    assert owner.team is not None
    created = await client.post(
        G, json={"team_id": str(owner.team.id), "name": "Energy"}, headers=editor.headers
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["version"] == 1
    assert body["term_count"] == 0
    assert created.headers["location"] == f"{G}/{body['id']}"
    assert created.headers["etag"]

    # One team: team_id may be left out.
    second = await client.post(G, json={"name": "Chips"}, headers=owner.headers)
    assert second.status_code == 201
    assert second.json()["team_id"] == str(owner.team.id)

    clash = await client.post(G, json={"name": "Energy"}, headers=owner.headers)
    assert_problem(clash, 409, "conflict")

    read = await client.get(f"{G}/{body['id']}", headers=viewer.headers)
    assert read.status_code == 200
    assert read.headers["etag"] == created.headers["etag"]

    first_page = await client.get(G, params={"limit": 1}, headers=viewer.headers)
    assert [g["name"] for g in first_page.json()["items"]] == ["Chips"]
    cursor = first_page.json()["next_cursor"]
    assert cursor
    rest = await client.get(G, params={"limit": 1, "cursor": cursor}, headers=viewer.headers)
    assert [g["name"] for g in rest.json()["items"]] == ["Energy"]
    assert rest.json()["next_cursor"] is None

    by_team = await client.get(G, params={"team_id": str(owner.team.id)}, headers=owner.headers)
    assert len(by_team.json()["items"]) == 2


async def test_viewer_cannot_create_or_change(
    client: httpx.AsyncClient, viewer: Account, glossary: dict[str, Any]
) -> None:
    assert_problem(
        await client.post(G, json={"name": "X"}, headers=viewer.headers), 403, "forbidden"
    )
    gid = glossary["id"]
    assert_problem(
        await client.patch(f"{G}/{gid}", json={"name": "Y"}, headers=viewer.headers),
        403,
        "forbidden",
    )
    assert_problem(await add_term(client, viewer, gid, term="x"), 403, "forbidden")
    assert_problem(
        await client.post(
            f"{G}/{gid}/import",
            content=b"term\nx\n",
            headers={**viewer.headers, "content-type": "text/csv"},
        ),
        403,
        "forbidden",
    )
    assert_problem(await client.delete(f"{G}/{gid}", headers=viewer.headers), 403, "forbidden")


async def test_patch_glossary_with_if_match(
    client: httpx.AsyncClient, editor: Account, glossary: dict[str, Any]
) -> None:
    gid = glossary["id"]
    etag = (await client.get(f"{G}/{gid}", headers=editor.headers)).headers["etag"]
    changed = await client.patch(
        f"{G}/{gid}",
        json={"name": "AI policy (EU)", "description": None},
        headers={**editor.headers, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "AI policy (EU)"
    assert changed.json()["description"] is None
    assert changed.json()["version"] == 2
    assert changed.headers["etag"] != etag

    stale = await client.patch(
        f"{G}/{gid}", json={"name": "Other"}, headers={**editor.headers, "If-Match": etag}
    )
    assert_problem(stale, 412, "precondition-failed")
    assert (await client.get(f"{G}/{gid}", headers=editor.headers)).json()["name"] == (
        "AI policy (EU)"
    )
    null_name = await client.patch(f"{G}/{gid}", json={"name": None}, headers=editor.headers)
    assert_problem(null_name, 422, "validation-error")


async def test_only_owners_delete_a_glossary(
    client: httpx.AsyncClient, owner: Account, editor: Account, glossary: dict[str, Any]
) -> None:
    gid = glossary["id"]
    await add_term(client, editor, gid, term="inference")
    assert_problem(await client.delete(f"{G}/{gid}", headers=editor.headers), 403, "forbidden")
    deleted = await client.delete(f"{G}/{gid}", headers=owner.headers)
    assert deleted.status_code == 204
    assert_problem(await client.get(f"{G}/{gid}", headers=owner.headers), 404, "not-found")


async def test_another_teams_glossary_is_404_everywhere(
    client: httpx.AsyncClient, outsider: Account, editor: Account, glossary: dict[str, Any]
) -> None:
    gid = glossary["id"]
    term = (await add_term(client, editor, gid, term="inference")).json()
    tid = term["id"]
    h = outsider.headers
    calls = [
        client.get(f"{G}/{gid}", headers=h),
        client.patch(f"{G}/{gid}", json={"name": "x"}, headers=h),
        client.delete(f"{G}/{gid}", headers=h),
        client.get(f"{G}/{gid}/terms", headers=h),
        client.post(f"{G}/{gid}/terms", json={"term": "x"}, headers=h),
        client.get(f"{G}/{gid}/terms/{tid}", headers=h),
        client.patch(f"{G}/{gid}/terms/{tid}", json={"definition": "x"}, headers=h),
        client.delete(f"{G}/{gid}/terms/{tid}", headers=h),
        client.get(f"{G}/{gid}/terms/{tid}/history", headers=h),
        client.post(f"{G}/{gid}/terms/{tid}/restore", headers=h),
        client.post(
            f"{G}/{gid}/import", content=b"term\nx\n", headers={**h, "content-type": "text/csv"}
        ),
        client.get(f"{G}/{gid}/export", headers=h),
    ]
    for call in calls:
        assert_problem(await call, 404, "not-found")
    # ...and the outsider's list does not show it.
    assert (await client.get(G, headers=h)).json()["items"] == []
    team_id = glossary["team_id"]
    assert_problem(await client.get(G, params={"team_id": team_id}, headers=h), 404, "not-found")
    assert_problem(
        await client.post(G, json={"team_id": team_id, "name": "x"}, headers=h), 404, "not-found"
    )


async def test_no_token_is_401(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get(G), 401, "unauthorized")


async def test_unknown_glossary_and_term_are_404(
    client: httpx.AsyncClient, viewer: Account, glossary: dict[str, Any]
) -> None:
    assert_problem(
        await client.get(f"{G}/{uuid.uuid4()}", headers=viewer.headers), 404, "not-found"
    )
    assert_problem(
        await client.get(f"{G}/{glossary['id']}/terms/{uuid.uuid4()}", headers=viewer.headers),
        404,
        "not-found",
    )
    assert_problem(
        await client.get(
            f"{G}/{glossary['id']}/terms", params={"cursor": "junk"}, headers=viewer.headers
        ),
        400,
        "bad-request",
    )


# --- terms -----------------------------------------------------------------------------------


async def test_term_crud_and_versions(
    client: httpx.AsyncClient, editor: Account, viewer: Account, glossary: dict[str, Any]
) -> None:
    gid = glossary["id"]
    created = await add_term(
        client,
        editor,
        gid,
        term="DeepSeek",
        definition="A Chinese AI lab.",
        aliases=["Deep Seek"],
        url="https://www.deepseek.com",
        tags=["labs", "china"],
        entity_label="org",
    )
    assert created.status_code == 201, created.text
    term = created.json()
    assert term["entity_label"] == "ORG"
    assert term["created_by"] == str(editor.user.id)
    assert term["version"] == 1
    assert created.headers["location"] == f"{G}/{gid}/terms/{term['id']}"
    assert await _version(client, viewer, gid) == 2

    read = await client.get(f"{G}/{gid}/terms/{term['id']}", headers=viewer.headers)
    assert read.json() == term
    etag = read.headers["etag"]
    assert etag == created.headers["etag"]

    patched = await client.patch(
        f"{G}/{gid}/terms/{term['id']}",
        json={"definition": "A Hangzhou AI lab.", "url": None},
        headers={**editor.headers, "If-Match": etag},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["definition"] == "A Hangzhou AI lab."
    assert patched.json()["url"] is None
    assert patched.json()["version"] == 2
    assert await _version(client, viewer, gid) == 3

    stale = await client.patch(
        f"{G}/{gid}/terms/{term['id']}",
        json={"definition": "Overwritten?"},
        headers={**editor.headers, "If-Match": etag},
    )
    assert_problem(stale, 412, "precondition-failed")
    now = (await client.get(f"{G}/{gid}/terms/{term['id']}", headers=viewer.headers)).json()
    assert now["definition"] == "A Hangzhou AI lab."
    assert await _version(client, viewer, gid) == 3

    assert_problem(
        await client.patch(
            f"{G}/{gid}/terms/{term['id']}", json={"definition": "x"}, headers=viewer.headers
        ),
        403,
        "forbidden",
    )
    assert_problem(
        await client.delete(f"{G}/{gid}/terms/{term['id']}", headers=viewer.headers),
        403,
        "forbidden",
    )
    stale_delete = await client.delete(
        f"{G}/{gid}/terms/{term['id']}", headers={**editor.headers, "If-Match": etag}
    )
    assert_problem(stale_delete, 412, "precondition-failed")
    deleted = await client.delete(f"{G}/{gid}/terms/{term['id']}", headers=editor.headers)
    assert deleted.status_code == 204
    assert_problem(
        await client.get(f"{G}/{gid}/terms/{term['id']}", headers=viewer.headers), 404, "not-found"
    )
    assert await _version(client, viewer, gid) == 4
    assert (await client.get(f"{G}/{gid}", headers=viewer.headers)).json()["term_count"] == 0


async def test_a_patch_that_changes_nothing_keeps_the_version(
    client: httpx.AsyncClient, editor: Account, glossary: dict[str, Any]
) -> None:
    gid = glossary["id"]
    term = (await add_term(client, editor, gid, term="token", definition="A unit.")).json()
    same = await client.patch(
        f"{G}/{gid}/terms/{term['id']}", json={"definition": "A unit."}, headers=editor.headers
    )
    assert same.json()["version"] == 1
    assert await _version(client, editor, gid) == 2


async def test_list_terms_search_and_cursor(
    client: httpx.AsyncClient, editor: Account, viewer: Account, glossary: dict[str, Any]
) -> None:
    gid = glossary["id"]
    for term, aliases in [
        ("inference", []),
        ("Distillation", ["distillation attacks"]),
        ("reasoning model", ["reasoning models"]),
        ("Échelle", []),
        ("模型", []),
    ]:
        assert (await add_term(client, editor, gid, term=term, aliases=aliases)).status_code == 201

    async def terms(**params: Any) -> list[str]:
        response = await client.get(f"{G}/{gid}/terms", params=params, headers=viewer.headers)
        assert response.status_code == 200, response.text
        return [t["term"] for t in response.json()["items"]]

    assert await terms() == ["Distillation", "inference", "reasoning model", "Échelle", "模型"]
    assert await terms(q="DIST") == ["Distillation"]
    assert await terms(q="attacks") == []
    assert await terms(q="attacks", match="substring") == ["Distillation"]
    assert await terms(q="model", match="substring") == ["reasoning model"]
    assert await terms(q="éch") == ["Échelle"]
    assert await terms(q="模") == ["模型"]
    assert await terms(q="%") == []
    assert await terms(q="_", match="substring") == []

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(f"{G}/{gid}/terms", params=params, headers=viewer.headers)).json()
        seen += [t["term"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == await terms()


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"term": ""}, "term"),
        ({"term": "x" * (schemas.MAX_TERM_CHARS + 1)}, "term"),
        ({"term": "x", "definition": "d" * (schemas.MAX_DEFINITION_CHARS + 1)}, "definition"),
        ({"term": "x", "aliases": [f"a{i}" for i in range(schemas.MAX_ALIASES + 1)]}, "aliases"),
        ({"term": "x", "aliases": ["a|b"]}, "aliases"),
        ({"term": "x", "tags": [f"t{i}" for i in range(schemas.MAX_TAGS + 1)]}, "tags"),
        ({"term": "x", "url": "javascript:alert(1)"}, "url"),
        ({"term": "x", "entity_label": "COMPANY"}, "entity_label"),
        ({"term": "x\u0000"}, "term"),
        ({"term": "x", "colour": "red"}, "colour"),
    ],
)
async def test_term_limits_are_422(
    client: httpx.AsyncClient,
    editor: Account,
    glossary: dict[str, Any],
    fields: dict[str, Any],
    loc: str,
) -> None:
    body = assert_problem(
        await add_term(client, editor, glossary["id"], **fields), 422, "validation-error"
    )
    assert loc in str(body["errors"])


async def test_a_full_glossary_is_413(
    client: httpx.AsyncClient,
    editor: Account,
    glossary: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(schemas, "MAX_TERMS_PER_GLOSSARY", 2)
    for term in ("a", "b"):
        assert (await add_term(client, editor, glossary["id"], term=term)).status_code == 201
    body = assert_problem(
        await add_term(client, editor, glossary["id"], term="c"), 413, "payload-too-large"
    )
    assert body["limit"] == 2


# --- surface forms ---------------------------------------------------------------------------


async def test_surface_form_clash_is_409_naming_the_other_term(
    client: httpx.AsyncClient, editor: Account, glossary: dict[str, Any]
) -> None:
    gid = glossary["id"]
    first = (
        await add_term(client, editor, gid, term="Distillation", aliases=["distillation attacks"])
    ).json()

    for fields in (
        {"term": "distillation"},  # case-folded like the matcher
        {"term": "Distillation  Attacks"},  # whitespace collapsed
        {"term": "model theft", "aliases": ["DISTILLATION ATTACKS"]},
    ):
        body = assert_problem(await add_term(client, editor, gid, **fields), 409, "conflict")
        assert "'Distillation'" in str(body["detail"])
        assert body["conflicting_term_id"] == first["id"]

    # Case-sensitive terms: "QT" and "Qt" are different forms; "qt" (any case) claims both.
    assert (await add_term(client, editor, gid, term="QT", case_sensitive=True)).status_code == 201
    assert (await add_term(client, editor, gid, term="Qt", case_sensitive=True)).status_code == 201
    body = assert_problem(await add_term(client, editor, gid, term="qt"), 409, "conflict")
    assert "'QT'" in str(body["detail"]) or "'Qt'" in str(body["detail"])
    assert_problem(
        await add_term(client, editor, gid, term="QT", case_sensitive=True), 409, "conflict"
    )

    # An update that would take another term's form is refused too, and changes nothing.
    other = (await add_term(client, editor, gid, term="inference")).json()
    clash = await client.patch(
        f"{G}/{gid}/terms/{other['id']}",
        json={"aliases": ["distillation"]},
        headers=editor.headers,
    )
    assert_problem(clash, 409, "conflict")
    # Its own forms are no clash: re-casing the term is fine.
    recased = await client.patch(
        f"{G}/{gid}/terms/{other['id']}", json={"term": "Inference"}, headers=editor.headers
    )
    assert recased.status_code == 200, recased.text
    # A deleted term frees its forms.
    await client.delete(f"{G}/{gid}/terms/{first['id']}", headers=editor.headers)
    assert (await add_term(client, editor, gid, term="distillation")).status_code == 201


async def test_same_form_in_another_glossary_is_fine(
    client: httpx.AsyncClient, editor: Account, glossary: dict[str, Any]
) -> None:
    other = (await client.post(G, json={"name": "Second"}, headers=editor.headers)).json()
    assert (await add_term(client, editor, glossary["id"], term="token")).status_code == 201
    assert (await add_term(client, editor, other["id"], term="token")).status_code == 201


# --- history ---------------------------------------------------------------------------------


async def test_history_records_every_change_and_restores_a_deleted_term(
    client: httpx.AsyncClient,
    editor: Account,
    owner: Account,
    viewer: Account,
    glossary: dict[str, Any],
) -> None:
    gid = glossary["id"]
    term = (await add_term(client, editor, gid, term="Two Sessions", case_sensitive=True)).json()
    tid = term["id"]
    await client.patch(
        f"{G}/{gid}/terms/{tid}",
        json={"definition": "China's annual meetings."},
        headers=owner.headers,
    )
    assert (
        await client.delete(f"{G}/{gid}/terms/{tid}", headers=editor.headers)
    ).status_code == 204

    history = await client.get(f"{G}/{gid}/terms/{tid}/history", headers=viewer.headers)
    assert history.status_code == 200, history.text
    items = history.json()["items"]
    assert [i["action"] for i in items] == ["delete", "update", "create"]
    assert [i["user_name"] for i in items] == ["eddie", "olga", "eddie"]
    assert items[0]["after"] is None
    assert items[0]["before"]["definition"] == "China's annual meetings."
    assert items[1]["before"]["definition"] == ""
    assert items[1]["after"]["definition"] == "China's annual meetings."
    assert items[2]["before"] is None
    assert items[2]["after"]["term"] == "Two Sessions"
    versions = [i["glossary_version"] for i in items]
    assert versions == sorted(versions, reverse=True)

    page = await client.get(
        f"{G}/{gid}/terms/{tid}/history", params={"limit": 2}, headers=viewer.headers
    )
    rest = await client.get(
        f"{G}/{gid}/terms/{tid}/history",
        params={"limit": 2, "cursor": page.json()["next_cursor"]},
        headers=viewer.headers,
    )
    assert [i["action"] for i in rest.json()["items"]] == ["create"]

    assert_problem(
        await client.post(f"{G}/{gid}/terms/{tid}/restore", headers=viewer.headers),
        403,
        "forbidden",
    )
    restored = await client.post(f"{G}/{gid}/terms/{tid}/restore", headers=editor.headers)
    assert restored.status_code == 201, restored.text
    assert restored.json()["id"] == tid
    assert restored.json()["definition"] == "China's annual meetings."
    assert restored.json()["case_sensitive"] is True
    again = await client.post(f"{G}/{gid}/terms/{tid}/restore", headers=editor.headers)
    assert_problem(again, 409, "conflict")

    # Restoring an older revision, after another delete.
    await client.delete(f"{G}/{gid}/terms/{tid}", headers=editor.headers)
    created_revision = items[2]["id"]
    older = await client.post(
        f"{G}/{gid}/terms/{tid}/restore",
        json={"revision_id": created_revision},
        headers=editor.headers,
    )
    assert older.status_code == 201, older.text
    assert older.json()["definition"] == ""
    latest = (await client.get(f"{G}/{gid}/terms/{tid}/history", headers=viewer.headers)).json()
    assert latest["items"][0]["action"] == "restore"

    assert_problem(
        await client.get(f"{G}/{gid}/terms/{uuid.uuid4()}/history", headers=viewer.headers),
        404,
        "not-found",
    )
    assert_problem(
        await client.post(f"{G}/{gid}/terms/{uuid.uuid4()}/restore", headers=editor.headers),
        404,
        "not-found",
    )


async def test_restore_refuses_a_form_taken_meanwhile(
    client: httpx.AsyncClient, editor: Account, glossary: dict[str, Any]
) -> None:
    gid = glossary["id"]
    tid = (await add_term(client, editor, gid, term="token")).json()["id"]
    await client.delete(f"{G}/{gid}/terms/{tid}", headers=editor.headers)
    await add_term(client, editor, gid, term="Token")
    assert_problem(
        await client.post(f"{G}/{gid}/terms/{tid}/restore", headers=editor.headers), 409, "conflict"
    )


async def test_forged_cursors_are_400(
    client: httpx.AsyncClient, editor: Account, glossary: dict[str, Any]
) -> None:
    from gloss.pagination import encode_cursor

    gid = glossary["id"]
    tid = (await add_term(client, editor, gid, term="token")).json()["id"]
    for path, cursor in [
        (f"{G}/{gid}/terms/{tid}/history", encode_cursor(["not a number", str(uuid.uuid4())])),
        (f"{G}/{gid}/terms", encode_cursor([1, str(uuid.uuid4())])),
        (G, encode_cursor(["x", "not a uuid"])),
        (G, encode_cursor({"a": 1})),
    ]:
        response = await client.get(path, params={"cursor": cursor}, headers=editor.headers)
        assert_problem(response, 400, "bad-request")


async def test_delete_glossary_with_a_stale_etag_is_412(
    client: httpx.AsyncClient, owner: Account, editor: Account, glossary: dict[str, Any]
) -> None:
    gid = glossary["id"]
    etag = (await client.get(f"{G}/{gid}", headers=owner.headers)).headers["etag"]
    await add_term(client, editor, gid, term="token")  # moves the glossary's version
    stale = await client.delete(f"{G}/{gid}", headers={**owner.headers, "If-Match": etag})
    assert_problem(stale, 412, "precondition-failed")
    assert (await client.get(f"{G}/{gid}", headers=owner.headers)).status_code == 200


async def test_nul_and_control_characters_never_reach_the_database(
    client: httpx.AsyncClient, editor: Account, glossary: dict[str, Any]
) -> None:
    gid = glossary["id"]
    for body in ({"name": "a\u0000b"}, {"name": "ok", "description": "x\u0000"}):
        assert_problem(
            await client.post(G, json=body, headers=editor.headers), 422, "validation-error"
        )
    listed = await client.get(f"{G}/{gid}/terms", params={"q": "\u0000"}, headers=editor.headers)
    assert listed.status_code == 200
    openapi = (await client.get("/openapi.json")).json()
    import_body = openapi["paths"]["/v1/glossaries/{glossary_id}/import"]["post"]["requestBody"]
    assert "text/csv" in import_body["content"]


async def test_a_team_holds_a_bounded_number_of_terms(
    client: httpx.AsyncClient, owner: Account, app: FastAPI
) -> None:
    """GLOSS_MAX_TERMS_PER_TEAM counts every glossary of the team: adding past it is 413 with
    the limit, and an import that would pass it changes nothing."""
    settings = app.state.settings
    original = settings.max_terms_per_team
    settings.max_terms_per_team = 3
    try:
        ids = []
        for name in ("A", "B"):
            created = await client.post(
                "/v1/glossaries", json={"name": name}, headers=owner.headers
            )
            ids.append(created.json()["id"])
        for gid, term in ((ids[0], "one"), (ids[0], "two"), (ids[1], "three")):
            added = await client.post(
                f"/v1/glossaries/{gid}/terms", json={"term": term}, headers=owner.headers
            )
            assert added.status_code == 201, added.text
        full = await client.post(
            f"/v1/glossaries/{ids[1]}/terms", json={"term": "four"}, headers=owner.headers
        )
        assert assert_problem(full, 413, "payload-too-large")["limit"] == 3
        imported = await client.post(
            f"/v1/glossaries/{ids[1]}/import",
            params={"format": "csv"},
            content=b"term,definition\nfour,x\n",
            headers={**owner.headers, "Content-Type": "text/csv"},
        )
        assert_problem(imported, 413, "payload-too-large")
        terms = await client.get(f"/v1/glossaries/{ids[1]}/terms", headers=owner.headers)
        assert [t["term"] for t in terms.json()["items"]] == ["three"]
    finally:
        settings.max_terms_per_team = original
