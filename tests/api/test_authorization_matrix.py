"""Authorization matrix over the route table: every /v1 and /c/ route answers 401, 404, 403 or
success for anonymous, another team, viewer, editor and owner exactly as the roles say."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import httpx
import pytest
from starlette.routing import BaseRoute

from gloss.app import create_app
from gloss.settings import Settings
from tests.collections.conftest import ANNO, PAGE, TEXT, annotation
from tests.conftest import Account, AccountFactory

PROBLEM_BASE = "https://gloss.dev/problems/"

# Who must be at least what. "self": any signed-in caller, on their own things (list routes
# must not show another team's); "personal": only the user the resource belongs to (a token).
Need = Literal["self", "personal", "viewer", "editor", "owner"]
Caller = Literal["anonymous", "outsider", "viewer", "editor", "owner", "creator", "teammate"]
TEAM_CALLERS: tuple[Caller, ...] = ("anonymous", "outsider", "viewer", "editor", "owner")
# A private collection is its creator's alone: the team's owner is just another teammate.
PRIVATE_CALLERS: tuple[Caller, ...] = ("anonymous", "outsider", "teammate", "creator")
RANK = {"viewer": 0, "editor": 1, "owner": 2}


@dataclass
class World:
    """One team with an owner, an editor and a viewer, another team's owner, and one of every
    resource the routes take in their paths."""

    accounts: dict[str, Account]
    team_id: str
    member_id: str  # a viewer nobody calls as, for the membership routes
    newcomer: str  # a user in no team, to invite
    invitation_id: str  # the team's invitation of someone, to withdraw
    owner_invitation_id: str  # another team's invitation of the owner, to accept or decline
    owner_token_id: str  # a spare token of the owner's, to revoke
    glossary_id: str
    term_id: str
    deleted_term_id: str
    collection_id: str
    annotation_id: str
    annotation_etag: str
    link_id: str
    article_id: str
    private: PrivateParts
    names: itertools.count[int] = field(default_factory=itertools.count)

    def unique(self, prefix: str) -> str:
        return f"{prefix}-{next(self.names)}-{uuid.uuid4().hex[:6]}"

    def visible_ids(self) -> list[str]:
        """Ids another team must never see in a list."""
        p = self.private
        return [
            self.team_id,
            self.glossary_id,
            self.term_id,
            self.collection_id,
            self.annotation_id,
            self.article_id,
            p.collection_id,
            p.annotation_id,
        ]

    def as_private(self) -> World:
        """The same world, with the collection routes aimed at the creator's private one."""
        p = self.private
        return replace(
            self,
            collection_id=p.collection_id,
            annotation_id=p.annotation_id,
            annotation_etag=p.annotation_etag,
            link_id=p.link_id,
        )


@dataclass
class PrivateParts:
    collection_id: str
    annotation_id: str
    annotation_etag: str
    link_id: str


Build = Callable[[World], dict[str, Any]]


def _none(_world: World) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Rule:
    need: Need
    ok: int
    request: Build = _none  # httpx keyword arguments: json, content, headers, params
    # A success uses the resource up (deleted, revoked, restored, its ETag moved on), so the
    # next caller needs a new world.
    uses_up: bool = False


def _json(build: Callable[[World], Any]) -> Build:
    return lambda w: {"json": build(w)}


def _anno(w: World, exact: str = "Nvidia") -> dict[str, Any]:
    return {"content": json.dumps(annotation(exact)), "headers": {"Content-Type": ANNO}}


def _put_anno(w: World) -> dict[str, Any]:
    doc = annotation("demand for its chips", note="changed by the matrix")
    return {
        "content": json.dumps(doc),
        "headers": {"Content-Type": ANNO, "If-Match": w.annotation_etag},
    }


def _article(w: World) -> dict[str, Any]:
    return {
        "url": f"https://news.example/{w.unique('story')}",
        "title": "Chips",
        "text": TEXT,
        "team_id": w.team_id,
    }


def _bulk(w: World) -> dict[str, Any]:
    lines = [{k: v for k, v in _article(w).items() if k != "team_id"} for _ in range(2)]
    return {
        "content": "".join(json.dumps(line) + "\n" for line in lines).encode(),
        "params": {"team_id": w.team_id},
        "headers": {"Content-Type": "application/x-ndjson"},
    }


MATRIX: dict[tuple[str, str], Rule] = {
    # People and tokens
    ("GET", "/v1/me"): Rule("self", 200),
    ("GET", "/v1/tokens"): Rule("self", 200),
    ("POST", "/v1/tokens"): Rule("self", 201, _json(lambda _w: {"name": "matrix"})),
    ("DELETE", "/v1/tokens/{token_id}"): Rule("personal", 204, uses_up=True),
    # Teams
    ("GET", "/v1/teams"): Rule("self", 200),
    ("POST", "/v1/teams"): Rule("self", 201, _json(lambda w: {"name": w.unique("team")})),
    ("GET", "/v1/teams/{team_id}"): Rule("viewer", 200),
    ("GET", "/v1/teams/{team_id}/members"): Rule("viewer", 200),
    ("POST", "/v1/teams/{team_id}/members"): Rule(
        "owner", 202, _json(lambda w: {"user": w.newcomer, "role": "viewer"}), uses_up=True
    ),
    ("GET", "/v1/teams/{team_id}/invitations"): Rule("owner", 200),
    ("DELETE", "/v1/teams/{team_id}/invitations/{invitation_id}"): Rule("owner", 204, uses_up=True),
    # The invited user's own: only the owner of the world was invited (by another team).
    ("GET", "/v1/invitations"): Rule("self", 200),
    ("POST", "/v1/invitations/{invitation_id}/accept"): Rule("personal", 200, uses_up=True),
    ("POST", "/v1/invitations/{invitation_id}/decline"): Rule("personal", 204, uses_up=True),
    ("PATCH", "/v1/teams/{team_id}/members/{user_id}"): Rule(
        "owner", 200, _json(lambda _w: {"role": "editor"})
    ),
    ("DELETE", "/v1/teams/{team_id}/members/{user_id}"): Rule("owner", 204, uses_up=True),
    # Glossaries and terms
    ("GET", "/v1/glossaries"): Rule("viewer", 200, lambda w: {"params": {"team_id": w.team_id}}),
    ("POST", "/v1/glossaries"): Rule(
        "editor", 201, _json(lambda w: {"team_id": w.team_id, "name": w.unique("glossary")})
    ),
    ("GET", "/v1/glossaries/{glossary_id}"): Rule("viewer", 200),
    ("PATCH", "/v1/glossaries/{glossary_id}"): Rule(
        "editor", 200, _json(lambda _w: {"description": "changed by the matrix"})
    ),
    ("DELETE", "/v1/glossaries/{glossary_id}"): Rule("owner", 204, uses_up=True),
    ("GET", "/v1/glossaries/{glossary_id}/terms"): Rule("viewer", 200),
    ("POST", "/v1/glossaries/{glossary_id}/terms"): Rule(
        "editor", 201, _json(lambda w: {"term": w.unique("matrix term"), "definition": "d"})
    ),
    ("GET", "/v1/glossaries/{glossary_id}/terms/{term_id}"): Rule("viewer", 200),
    ("PATCH", "/v1/glossaries/{glossary_id}/terms/{term_id}"): Rule(
        "editor", 200, _json(lambda _w: {"definition": "changed by the matrix"})
    ),
    ("DELETE", "/v1/glossaries/{glossary_id}/terms/{term_id}"): Rule("editor", 204, uses_up=True),
    ("GET", "/v1/glossaries/{glossary_id}/terms/{term_id}/history"): Rule("viewer", 200),
    # term_id here is the deleted term (see _path_params).
    ("POST", "/v1/glossaries/{glossary_id}/terms/{term_id}/restore"): Rule(
        "editor", 201, uses_up=True
    ),
    ("POST", "/v1/glossaries/{glossary_id}/import"): Rule(
        "editor",
        200,
        lambda w: {
            "content": f"term,definition\n{w.unique('imported')},From the matrix\n".encode(),
            "headers": {"Content-Type": "text/csv"},
        },
    ),
    ("GET", "/v1/glossaries/{glossary_id}/export"): Rule(
        "viewer", 200, lambda _w: {"params": {"format": "csv"}}
    ),
    # Annotate
    ("POST", "/v1/annotate"): Rule(
        "viewer", 200, _json(lambda w: {"text": TEXT, "glossary_ids": [w.glossary_id]})
    ),
    ("GET", "/v1/annotate/card"): Rule(
        "viewer", 200, lambda w: {"params": {"kind": "term", "term_id": w.term_id}}
    ),
    # Collections and the W3C container
    ("POST", "/v1/collections"): Rule(
        "editor", 201, _json(lambda w: {"name": "Matrix", "team_id": w.team_id})
    ),
    ("GET", "/v1/collections"): Rule("self", 200),
    ("GET", "/v1/collections/{collection_id}"): Rule("viewer", 200),
    ("PATCH", "/v1/collections/{collection_id}"): Rule(
        "owner", 200, _json(lambda _w: {"name": "Renamed"})
    ),
    ("DELETE", "/v1/collections/{collection_id}"): Rule("owner", 204, uses_up=True),
    ("GET", "/v1/collections/{collection_id}/annotations/"): Rule("viewer", 200),
    ("HEAD", "/v1/collections/{collection_id}/annotations/"): Rule("viewer", 200),
    ("OPTIONS", "/v1/collections/{collection_id}/annotations/"): Rule("viewer", 200),
    ("POST", "/v1/collections/{collection_id}/annotations/"): Rule("editor", 201, _anno),
    ("GET", "/v1/collections/{collection_id}/annotations/{annotation_id}"): Rule("viewer", 200),
    ("HEAD", "/v1/collections/{collection_id}/annotations/{annotation_id}"): Rule("viewer", 200),
    ("OPTIONS", "/v1/collections/{collection_id}/annotations/{annotation_id}"): Rule("viewer", 200),
    ("PUT", "/v1/collections/{collection_id}/annotations/{annotation_id}"): Rule(
        "editor", 200, _put_anno, uses_up=True
    ),
    ("DELETE", "/v1/collections/{collection_id}/annotations/{annotation_id}"): Rule(
        "editor", 204, uses_up=True
    ),
    ("GET", "/v1/annotations"): Rule("self", 200, lambda _w: {"params": {"url": PAGE}}),
    ("GET", "/v1/collections/{collection_id}/export"): Rule(
        "viewer", 200, lambda _w: {"params": {"format": "jsonld"}}
    ),
    ("POST", "/v1/collections/{collection_id}/import"): Rule(
        "editor", 200, _json(lambda _w: [annotation("Tuesday")])
    ),
    ("POST", "/v1/collections/{collection_id}/share-links"): Rule("owner", 201),
    ("GET", "/v1/collections/{collection_id}/share-links"): Rule("owner", 200),
    ("DELETE", "/v1/collections/{collection_id}/share-links/{link_id}"): Rule(
        "owner", 204, uses_up=True
    ),
    ("GET", "/c/{collection_id}"): Rule("viewer", 200),
    # Articles
    ("POST", "/v1/articles"): Rule("editor", 201, _json(_article)),
    ("POST", "/v1/articles/bulk"): Rule("editor", 200, _bulk),
    ("GET", "/v1/articles"): Rule("viewer", 200, lambda w: {"params": {"team_id": w.team_id}}),
    ("GET", "/v1/articles/{article_id}"): Rule("viewer", 200),
    ("DELETE", "/v1/articles/{article_id}"): Rule("editor", 204, uses_up=True),
    ("GET", "/v1/articles/{article_id}/related"): Rule("viewer", 200),
}


def _route_table() -> list[tuple[str, str]]:
    # Built without the lifespan: no database, no spaCy, just the routes. Every route kind
    # counts (not only APIRoute), so a plain Starlette route under /v1 is not missed either.
    app = create_app(Settings(load_nlp=False))
    table = []
    for route in _flat_routes(app.routes):
        path = getattr(route, "path", None) or ""
        if path.startswith(("/v1/", "/c/")):
            methods = getattr(route, "methods", None) or {"(any method)"}
            table += [(method, path) for method in methods]
    return sorted(table)


def _flat_routes(routes: list[BaseRoute]) -> list[Any]:
    """Routes with their full paths: FastAPI >= 0.16x keeps included routers as lazy branches."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        return list(routes)
    return list(iter_route_contexts(routes))


ROUTES = _route_table()


def test_every_route_has_a_declaration() -> None:
    """A new route fails here until someone says who may call it."""
    undeclared = [r for r in ROUTES if r not in MATRIX]
    assert undeclared == [], f"declare these in MATRIX: {undeclared}"
    stale = [r for r in MATRIX if r not in ROUTES]
    assert stale == [], f"these routes are gone; drop them from MATRIX: {stale}"


def expected_status(rule: Rule, caller: Caller) -> int:
    if caller == "anonymous":
        return 401
    if caller == "creator":
        return rule.ok
    if caller in ("outsider", "teammate"):
        return rule.ok if rule.need == "self" else 404
    if rule.need == "self":
        return rule.ok
    if rule.need == "personal":
        return rule.ok if caller == "owner" else 404
    return rule.ok if RANK[caller] >= RANK[rule.need] else 403


def _path_params(path: str, world: World) -> str:
    restore = path.endswith("/restore")
    values = {
        "token_id": world.owner_token_id,
        "team_id": world.team_id,
        "user_id": world.member_id,
        "glossary_id": world.glossary_id,
        "term_id": world.deleted_term_id if restore else world.term_id,
        "collection_id": world.collection_id,
        "annotation_id": world.annotation_id,
        "link_id": world.link_id,
        # A team's invitation under /v1/teams; the caller's own under /v1/invitations.
        "invitation_id": (
            world.owner_invitation_id
            if path.startswith("/v1/invitations/")
            else world.invitation_id
        ),
        "article_id": world.article_id,
    }
    return path.format(**values)


ALL_PARTS = frozenset({"glossary", "collection", "article"})


def parts_for(path: str, rule: Rule) -> frozenset[str]:
    """Only what the route needs, so the matrix stays quick; lists get everything, so they
    are checked for leaks of every kind of resource."""
    if rule.need == "self":
        return ALL_PARTS
    needs = set()
    if "glossar" in path or "annotate" in path:
        needs.add("glossary")
    if "collection" in path or path.startswith("/c/"):
        needs.add("collection")
    if "article" in path:
        needs.add("article")
    return frozenset(needs)


async def build_world(
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    n: int,
    parts: frozenset[str] = ALL_PARTS,
) -> World:
    team = f"matrix-{n}-{uuid.uuid4().hex[:6]}"
    owner = await make_account(f"owner{n}", team=team, role="owner")
    editor = await make_account(f"editor{n}", team=team, role="editor")
    viewer = await make_account(f"viewer{n}", team=team, role="viewer")
    member = await make_account(f"member{n}", team=team, role="viewer")
    outsider = await make_account(f"outsider{n}", team=f"elsewhere-{team}", role="owner")
    newcomer = await make_account(f"newcomer{n}", team=None)
    assert owner.team is not None
    team_id = str(owner.team.id)

    async def ok(response: httpx.Response, status: int = 201) -> httpx.Response:
        assert response.status_code == status, response.text
        return response

    o = owner.headers
    spare = await ok(await client.post("/v1/tokens", json={"name": "spare"}, headers=o))
    invited = await ok(
        await client.post(f"/v1/teams/{team_id}/members", json={"user": f"invitee{n}"}, headers=o),
        202,
    )
    assert outsider.team is not None
    owner_invited = await ok(
        await client.post(
            f"/v1/teams/{outsider.team.id}/members",
            json={"user": owner.user.name},
            headers=outsider.headers,
        ),
        202,
    )
    gid = term_id = retired_id = article_id = ""
    if "glossary" in parts:
        glossary = await ok(
            await client.post("/v1/glossaries", json={"team_id": team_id, "name": "G"}, headers=o)
        )
        gid = glossary.json()["id"]
        terms = f"/v1/glossaries/{gid}/terms"
        term = await ok(
            await client.post(terms, json={"term": "chips", "definition": "d"}, headers=o)
        )
        term_id = term.json()["id"]
        retired = await ok(await client.post(terms, json={"term": "retired"}, headers=o))
        retired_id = retired.json()["id"]
        await ok(await client.delete(f"{terms}/{retired_id}", headers=o), 204)

    async def collection_parts(account: Account, team_id: str | None) -> PrivateParts:
        h = account.headers
        created = await ok(
            await client.post("/v1/collections", json={"name": "C", "team_id": team_id}, headers=h)
        )
        cid = created.json()["id"]
        posted = await ok(
            await client.post(
                f"/v1/collections/{cid}/annotations/",
                content=json.dumps(annotation()),
                headers={**h, "Content-Type": ANNO},
            )
        )
        link = await ok(await client.post(f"/v1/collections/{cid}/share-links", headers=h))
        return PrivateParts(
            collection_id=cid,
            annotation_id=posted.headers["location"].rstrip("/").rsplit("/", 1)[1],
            annotation_etag=posted.headers["etag"],
            link_id=link.json()["id"],
        )

    if "article" in parts:
        article = {
            "url": "https://news.example/chips",
            "title": "Chips",
            "text": TEXT,
            "team_id": team_id,
        }
        stored = await ok(await client.post("/v1/articles", json=article, headers=o))
        article_id = stored.json()["id"]
    no_collection = PrivateParts("", "", "", "")
    shared = await collection_parts(owner, team_id) if "collection" in parts else no_collection
    private = await collection_parts(editor, None) if "collection" in parts else no_collection
    return World(
        accounts={
            "owner": owner,
            "editor": editor,
            "viewer": viewer,
            "outsider": outsider,
            # On the private collection: its creator is the editor, the owner a mere teammate.
            "creator": editor,
            "teammate": owner,
        },
        team_id=team_id,
        member_id=str(member.user.id),
        newcomer=newcomer.user.name,
        invitation_id=invited.json()["id"],
        owner_invitation_id=owner_invited.json()["id"],
        owner_token_id=spare.json()["id"],
        glossary_id=gid,
        term_id=term_id,
        deleted_term_id=retired_id,
        collection_id=shared.collection_id,
        annotation_id=shared.annotation_id,
        annotation_etag=shared.annotation_etag,
        link_id=shared.link_id,
        article_id=article_id,
        private=private,
    )


def _check(response: httpx.Response, expected: int, caller: Caller, world: World) -> None:
    where = f"{response.request.method} {response.request.url.path} as {caller}"
    assert response.status_code == expected, f"{where}: {response.status_code} {response.text}"
    if caller == "anonymous" and response.request.url.path.startswith("/c/"):
        # A person following a share link without a key gets a page saying so, not JSON.
        assert response.headers["content-type"].startswith("text/html"), where
        assert "This link is not valid" in response.text, where
    elif expected in (401, 403, 404) and response.request.method != "HEAD":
        slug = {401: "unauthorized", 403: "forbidden", 404: "not-found"}[expected]
        assert response.headers["content-type"].startswith("application/problem+json"), where
        assert response.json()["type"] == PROBLEM_BASE + slug, where
    if caller in ("outsider", "teammate") and response.status_code < 300:
        # A list the caller may call must not show what belongs to a team they are not in.
        hidden = world.visible_ids() if caller == "outsider" else [world.private.collection_id]
        leaked = [i for i in hidden if i and i in response.text]
        assert leaked == [], f"{where} shows another's resources: {leaked}"


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
async def test_route_answers_as_the_roles_say(
    method: str, path: str, client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    rule = MATRIX.get((method, path))
    if rule is None:
        pytest.fail(f"{method} {path} has no entry in MATRIX: say who may call it")
    worlds = itertools.count()
    parts = parts_for(path, rule)
    world = await build_world(client, make_account, next(worlds), parts)
    variants: list[tuple[bool, tuple[Caller, ...]]] = [(False, TEAM_CALLERS)]
    if "{collection_id}" in path:
        variants.append((True, PRIVATE_CALLERS))
    used_up = False
    for private, callers in variants:
        for caller in callers:
            if used_up:
                world = await build_world(client, make_account, next(worlds), parts)
                used_up = False
            target = world.as_private() if private else world
            built = rule.request(target)
            headers = dict(built.pop("headers", {}))
            if caller != "anonymous":
                headers.update(world.accounts[caller].headers)
            response = await client.request(
                method, _path_params(path, target), headers=headers, **built
            )
            expected = expected_status(rule, caller)
            _check(response, expected, caller, world)
            used_up = rule.uses_up and response.status_code < 300
