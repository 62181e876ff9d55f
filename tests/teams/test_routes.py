"""Teams and members: roles decide who may do what; another team's is 404."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.api.test_errors import assert_problem
from tests.conftest import AccountFactory


async def test_create_team_makes_me_owner(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann", team=None)
    created = await client.post("/v1/teams", json={"name": "desk"}, headers=ann.headers)
    assert created.status_code == 201
    assert created.json()["role"] == "owner"
    listed = (await client.get("/v1/teams", headers=ann.headers)).json()
    assert [t["name"] for t in listed] == ["desk"]
    clash = await client.post("/v1/teams", json={"name": "desk"}, headers=ann.headers)
    assert_problem(clash, 409, "conflict")


async def test_other_teams_answer_404(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann", team="a")
    bob = await make_account("bob", team="b")
    assert bob.team is not None
    for path in (f"/v1/teams/{bob.team.id}", f"/v1/teams/{bob.team.id}/members"):
        assert_problem(await client.get(path, headers=ann.headers), 404, "not-found")
    response = await client.post(
        f"/v1/teams/{bob.team.id}/members", json={"user": "ann"}, headers=ann.headers
    )
    assert_problem(response, 404, "not-found")


async def test_owner_invites_and_the_member_joins_only_by_accepting(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    owner = await make_account("olga", team="desk", role="owner")
    viewer = await make_account("vic", team=None)
    assert owner.team is not None
    base = f"/v1/teams/{owner.team.id}/members"

    invited = await client.post(base, json={"user": "vic", "role": "viewer"}, headers=owner.headers)
    assert invited.status_code == 202, invited.text
    invitation = invited.json()
    assert (invitation["user"], invitation["role"], invitation["team_name"]) == (
        "vic",
        "viewer",
        "desk",
    )
    assert invitation["invited_by"] == "olga"
    again = await client.post(base, json={"user": "vic"}, headers=owner.headers)
    assert_problem(again, 409, "conflict")
    # A name nobody has is invited all the same: the answer does not say who exists.
    nobody = await client.post(base, json={"user": "nobody"}, headers=owner.headers)
    assert nobody.status_code == 202
    assert set(nobody.json()) == set(invitation)
    pending = await client.get(f"/v1/teams/{owner.team.id}/invitations", headers=owner.headers)
    assert [i["user"] for i in pending.json()] == ["vic", "nobody"]

    # Until vic accepts, nothing of the team reaches vic.
    not_yet = await client.get(f"/v1/teams/{owner.team.id}", headers=viewer.headers)
    assert_problem(not_yet, 404, "not-found")
    assert (await client.get("/v1/me", headers=viewer.headers)).json()["teams"] == []
    mine = (await client.get("/v1/invitations", headers=viewer.headers)).json()
    assert [i["id"] for i in mine] == [invitation["id"]]
    # Nobody else can accept it for vic.
    stolen = await client.post(f"/v1/invitations/{invitation['id']}/accept", headers=owner.headers)
    assert_problem(stolen, 404, "not-found")

    joined = await client.post(f"/v1/invitations/{invitation['id']}/accept", headers=viewer.headers)
    assert joined.status_code == 200, joined.text
    assert joined.json()["role"] == "viewer"
    assert (await client.get(f"/v1/teams/{owner.team.id}", headers=viewer.headers)).json()[
        "role"
    ] == "viewer"
    assert (await client.get("/v1/invitations", headers=viewer.headers)).json() == []
    member = await client.post(base, json={"user": "vic"}, headers=owner.headers)
    assert_problem(member, 409, "conflict")

    changed = await client.patch(
        f"{base}/{viewer.user.id}", json={"role": "editor"}, headers=owner.headers
    )
    assert changed.status_code == 200
    assert changed.json()["role"] == "editor"

    removed = await client.delete(f"{base}/{viewer.user.id}", headers=owner.headers)
    assert removed.status_code == 204
    gone = await client.get(f"/v1/teams/{owner.team.id}", headers=viewer.headers)
    assert_problem(gone, 404, "not-found")


async def test_a_declined_or_withdrawn_invitation_is_gone(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    owner = await make_account("olga", team="desk", role="owner")
    vic = await make_account("vic", team=None)
    await make_account("wes", team=None)
    assert owner.team is not None
    base = f"/v1/teams/{owner.team.id}"
    first = await client.post(f"{base}/members", json={"user": "vic"}, headers=owner.headers)
    declined = await client.post(
        f"/v1/invitations/{first.json()['id']}/decline", headers=vic.headers
    )
    assert declined.status_code == 204
    assert (await client.get("/v1/invitations", headers=vic.headers)).json() == []
    assert_problem(
        await client.post(f"/v1/invitations/{first.json()['id']}/accept", headers=vic.headers),
        404,
        "not-found",
    )
    second = await client.post(f"{base}/members", json={"user": "wes"}, headers=owner.headers)
    withdrawn = await client.delete(
        f"{base}/invitations/{second.json()['id']}", headers=owner.headers
    )
    assert withdrawn.status_code == 204
    assert (await client.get(f"{base}/invitations", headers=owner.headers)).json() == []


async def test_look_alike_team_names_are_one_name(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann", team=None)
    created = await client.post("/v1/teams", json={"name": "Newsroom"}, headers=ann.headers)
    assert created.status_code == 201
    for look_alike in ("newsroom", "NEWSROOM", "\uff2eewsroom"):  # full-width N
        clash = await client.post("/v1/teams", json={"name": look_alike}, headers=ann.headers)
        assert_problem(clash, 409, "conflict")
    for invisible in ("news\u200broom", "\u200dNews", "News\u202e"):
        refused = await client.post("/v1/teams", json={"name": invisible}, headers=ann.headers)
        assert_problem(refused, 422, "validation-error")


async def test_viewer_and_editor_cannot_manage_members(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    owner = await make_account("olga", team="desk", role="owner")
    viewer = await make_account("vic", team="desk", role="viewer")
    editor = await make_account("eddie", team="desk", role="editor")
    await make_account("newbie", team=None)
    assert owner.team is not None
    base = f"/v1/teams/{owner.team.id}/members"
    for account in (viewer, editor):
        response = await client.post(base, json={"user": "newbie"}, headers=account.headers)
        assert_problem(response, 403, "forbidden")
        response = await client.patch(
            f"{base}/{owner.user.id}", json={"role": "viewer"}, headers=account.headers
        )
        assert_problem(response, 403, "forbidden")
    members = (await client.get(base, headers=viewer.headers)).json()
    assert {m["name"]: m["role"] for m in members} == {
        "olga": "owner",
        "vic": "viewer",
        "eddie": "editor",
    }


async def test_last_owner_stays(client: httpx.AsyncClient, make_account: AccountFactory) -> None:
    owner = await make_account("olga", team="desk", role="owner")
    assert owner.team is not None
    base = f"/v1/teams/{owner.team.id}/members/{owner.user.id}"
    demote = await client.patch(base, json={"role": "editor"}, headers=owner.headers)
    assert_problem(demote, 409, "conflict")
    leave = await client.delete(base, headers=owner.headers)
    assert_problem(leave, 409, "conflict")


async def test_member_may_leave(client: httpx.AsyncClient, make_account: AccountFactory) -> None:
    await make_account("olga", team="desk", role="owner")
    viewer = await make_account("vic", team="desk", role="viewer")
    assert viewer.team is not None
    response = await client.delete(
        f"/v1/teams/{viewer.team.id}/members/{viewer.user.id}", headers=viewer.headers
    )
    assert response.status_code == 204


@pytest.mark.commits  # two requests at once: two connections, real row locks
async def test_two_owners_demoting_each_other_at_once_leave_one_owner(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    """Served one after the other (the team's row lock; SQLite's single writer): the second
    request finds its caller no longer an owner."""
    for attempt in range(3):
        team = f"desk-{attempt}"
        ann = await make_account(f"ann{attempt}", team=team, role="owner")
        bob = await make_account(f"bob{attempt}", team=team, role="owner")
        assert ann.team is not None
        path = f"/v1/teams/{ann.team.id}/members"
        answers = await asyncio.gather(
            client.patch(f"{path}/{bob.user.id}", json={"role": "viewer"}, headers=ann.headers),
            client.patch(f"{path}/{ann.user.id}", json={"role": "viewer"}, headers=bob.headers),
        )
        assert sorted(a.status_code for a in answers) == [200, 403], [a.text for a in answers]
        members = (await client.get(path, headers=ann.headers)).json()
        assert [m["role"] for m in members].count("owner") == 1, members


@pytest.mark.commits  # eight requests at once: eight connections, the unique index decides
async def test_concurrent_creates_of_one_name_give_one_team(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    accounts = [await make_account(f"user{i}", team=None) for i in range(8)]
    answers = await asyncio.gather(
        *(client.post("/v1/teams", json={"name": "rush"}, headers=a.headers) for a in accounts)
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * 7, [a.text for a in answers]
    for answer in answers:
        if answer.status_code == 409:
            assert_problem(answer, 409, "conflict")
