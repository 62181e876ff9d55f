"""Import and export through the API: round trips in every format, all-or-nothing imports,
upserts, dry runs and limits."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from gloss.glossaries import schemas
from tests.api.test_errors import assert_problem
from tests.conftest import Account
from tests.glossaries.conftest import add_term

G = "/v1/glossaries"
CONTENT = ("term", "definition", "aliases", "url", "tags", "case_sensitive", "entity_label")
MEDIA = {"csv": "text/csv", "json": "application/json", "tbx": "application/x-tbx+xml"}

TERMS: list[dict[str, Any]] = [
    {
        "term": "DeepSeek",
        "definition": 'A Hangzhou AI lab; "R1" is its reasoning model.\nSecond line, with a comma.',
        "aliases": ["Deep Seek", "深度求索"],
        "url": "https://www.deepseek.com/?a=1&b=2",
        "tags": ["labs", "中国"],
        "case_sensitive": False,
        "entity_label": "ORG",
    },
    {
        "term": "Two Sessions",
        "definition": "China's annual plenary meetings (两会).",
        "aliases": [],
        "url": None,
        "tags": [],
        "case_sensitive": True,
        "entity_label": "EVENT",
    },
    {
        "term": "Café crème",
        "definition": "Accents: àéîõü, ß; emoji 🚀☕; <b>not HTML</b> & friends",
        "aliases": ["cafe creme"],
        "url": None,
        "tags": ["food & drink"],
        "case_sensitive": False,
        "entity_label": None,
    },
    {
        "term": "大语言模型",
        "definition": "",
        "aliases": ["LLM 🤖"],
        "url": None,
        "tags": [],
        "case_sensitive": False,
        "entity_label": None,
    },
    {
        "term": "QT",
        "definition": "Quantitative tightening.",
        "aliases": [],
        "url": None,
        "tags": ["finance"],
        "case_sensitive": True,
        "entity_label": None,
    },
]


def content(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(({k: item[k] for k in CONTENT} for item in items), key=lambda t: t["term"])


async def new_glossary(client: httpx.AsyncClient, account: Account, name: str) -> str:
    response = await client.post(G, json={"name": name}, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def export(
    client: httpx.AsyncClient, account: Account, gid: str, fmt: str = "json"
) -> httpx.Response:
    response = await client.get(
        f"{G}/{gid}/export", params={"format": fmt}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    return response


async def import_file(
    client: httpx.AsyncClient,
    account: Account,
    gid: str,
    data: bytes,
    fmt: str,
    **params: Any,
) -> httpx.Response:
    return await client.post(
        f"{G}/{gid}/import",
        content=data,
        params=params,
        headers={**account.headers, "content-type": MEDIA[fmt]},
    )


async def terms_of(client: httpx.AsyncClient, account: Account, gid: str) -> list[dict[str, Any]]:
    return json.loads((await export(client, account, gid)).content)  # type: ignore[no-any-return]


@pytest.mark.parametrize("fmt", ["csv", "json", "tbx"])
async def test_export_then_import_gives_back_the_same_glossary(
    client: httpx.AsyncClient, editor: Account, viewer: Account, glossary: dict[str, Any], fmt: str
) -> None:
    source = glossary["id"]
    for term in TERMS:
        assert (await add_term(client, editor, source, **term)).status_code == 201

    exported = await export(client, viewer, source, fmt)
    assert exported.headers["content-type"].startswith(MEDIA[fmt])
    assert f".{fmt}" in exported.headers["content-disposition"]

    target = await new_glossary(client, editor, f"Copy {fmt}")
    imported = await import_file(client, editor, target, exported.content, fmt)
    assert imported.status_code == 200, imported.text
    report = imported.json()
    assert (report["created"], report["updated"], report["unchanged"]) == (len(TERMS), 0, 0)
    assert report["glossary_version"] == 2

    assert content(await terms_of(client, viewer, target)) == content(TERMS)
    # The same file again out of the copy (ids and times are not in CSV or TBX).
    again = await export(client, viewer, target, fmt)
    if fmt == "csv":
        assert again.content == exported.content
    if fmt == "tbx":  # the same but for the header's title, the glossary's name
        assert again.content.split(b"<body>")[1] == exported.content.split(b"<body>")[1]
    # Every term got an "import" revision.
    first = (await terms_of(client, viewer, target))[0]
    history = await client.get(f"{G}/{target}/terms/{first['id']}/history", headers=viewer.headers)
    assert [i["action"] for i in history.json()["items"]] == ["import"]


@pytest.mark.parametrize("fmt", ["csv", "json", "tbx"])
async def test_a_file_with_bad_rows_is_rejected_whole(
    client: httpx.AsyncClient, editor: Account, glossary: dict[str, Any], fmt: str
) -> None:
    gid = glossary["id"]
    await add_term(client, editor, gid, term="inference", aliases=["inferencing"])
    before_json = (await export(client, editor, gid, "json")).content
    before_version = (await client.get(f"{G}/{gid}", headers=editor.headers)).json()["version"]

    rows = [
        {"term": "good one", "definition": "fine"},
        {"term": "", "definition": "no term"},  # bad: empty term
        {"term": "fine too"},
        {"term": "bad label", "entity_label": "COMPANY"},  # bad: not an OntoNotes label
        {"term": "INFERENCING"},  # bad: another term's alias
        {"term": "Good One"},  # bad: the same term as the first row
    ]
    if fmt == "json":
        data = json.dumps(rows, indent=1, ensure_ascii=False).encode()
    else:
        full = [
            {k: r.get(k, TERMS[2][k] if k in ("tags",) else None) for k in CONTENT} for r in rows
        ]
        for r in full:
            r["aliases"] = []
            r["definition"] = r["definition"] or ""
            r["case_sensitive"] = False
        from gloss.glossaries import formats

        data = formats.write(full, fmt)  # type: ignore[arg-type]
    response = await import_file(client, editor, gid, data, fmt)
    body = assert_problem(response, 422, "validation-error")
    errors = body["errors"]
    assert isinstance(errors, list)
    bad_terms = [e["term"] for e in errors]
    assert bad_terms == ["", "bad label", "INFERENCING", "Good One"]
    lines = [e["line"] for e in errors]
    assert all(isinstance(line, int) for line in lines)
    assert lines == sorted(lines)
    assert "inference" in errors[2]["message"]
    assert "line" in errors[3]["message"]
    if fmt == "csv":
        assert lines == [3, 5, 6, 7]

    assert (await export(client, editor, gid, "json")).content == before_json
    assert (await client.get(f"{G}/{gid}", headers=editor.headers)).json()[
        "version"
    ] == before_version


async def test_csv_line_numbers_count_multiline_cells(
    client: httpx.AsyncClient, editor: Account, glossary: dict[str, Any]
) -> None:
    data = (
        b'term,definition\n"alpha","two\nlines"\nbeta,ok\n,missing term\n"gamma","x"\n'
        b"delta,too,many\n"
    )
    body = assert_problem(
        await import_file(client, editor, glossary["id"], data, "csv"), 422, "validation-error"
    )
    assert [(e["line"], e["field"]) for e in body["errors"]] == [(5, "term"), (7, None)]


async def test_upsert_updates_by_term_and_dry_run_changes_nothing(
    client: httpx.AsyncClient, editor: Account, glossary: dict[str, Any]
) -> None:
    gid = glossary["id"]
    kept = (
        await add_term(client, editor, gid, term="inference", definition="Running a model.")
    ).json()
    changed = (await add_term(client, editor, gid, term="Token", definition="old")).json()
    etag = (await client.get(f"{G}/{gid}/terms/{changed['id']}", headers=editor.headers)).headers[
        "etag"
    ]
    data = (
        b"term,definition,aliases\n"
        b"inference,Running a model.,\n"
        b"token,A unit of text.,tokens\n"
        b"embedding,A vector.,embeddings\n"
    )

    refused = await import_file(client, editor, gid, data, "csv")
    body = assert_problem(refused, 422, "validation-error")
    assert "mode=upsert" in body["errors"][0]["message"]

    before = (await export(client, editor, gid)).content
    dry = await import_file(client, editor, gid, data, "csv", mode="upsert", dry_run="true")
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["dry_run"] is True
    assert (report["created"], report["updated"], report["unchanged"]) == (1, 1, 1)
    assert report["changes"] == [
        {"line": 3, "term": "token", "action": "update"},
        {"line": 4, "term": "embedding", "action": "create"},
    ]
    assert (await export(client, editor, gid)).content == before

    done = await import_file(client, editor, gid, data, "csv", mode="upsert")
    assert done.status_code == 200, done.text
    assert (done.json()["created"], done.json()["updated"]) == (1, 1)
    terms = {t["term"]: t for t in await terms_of(client, editor, gid)}
    assert set(terms) == {"inference", "token", "embedding"}
    assert terms["token"]["id"] == changed["id"]  # updated in place, same id
    assert terms["token"]["aliases"] == ["tokens"]
    assert terms["inference"]["version"] == kept["version"]  # unchanged row left alone
    stale = await client.patch(
        f"{G}/{gid}/terms/{changed['id']}",
        json={"definition": "x"},
        headers={**editor.headers, "If-Match": etag},
    )
    assert_problem(stale, 412, "precondition-failed")
    history = await client.get(f"{G}/{gid}/terms/{changed['id']}/history", headers=editor.headers)
    latest = history.json()["items"][0]
    assert latest["action"] == "import"
    assert latest["before"]["definition"] == "old"
    assert latest["after"]["definition"] == "A unit of text."

    # The same file again changes nothing, and the version stays.
    version = (await client.get(f"{G}/{gid}", headers=editor.headers)).json()["version"]
    again = await import_file(client, editor, gid, data, "csv", mode="upsert")
    assert (again.json()["unchanged"], again.json()["glossary_version"]) == (3, version)
    assert (await client.get(f"{G}/{gid}", headers=editor.headers)).json()["version"] == version


async def test_upsert_may_move_an_alias_between_terms_it_rewrites(
    client: httpx.AsyncClient, editor: Account, glossary: dict[str, Any]
) -> None:
    gid = glossary["id"]
    await add_term(client, editor, gid, term="model", aliases=["models"])
    data = b"term,aliases\nmodel,\nmodels in production,models\n"
    response = await import_file(client, editor, gid, data, "csv", mode="upsert")
    assert response.status_code == 200, response.text
    terms = {t["term"]: t["aliases"] for t in await terms_of(client, editor, gid)}
    assert terms == {"model": [], "models in production": ["models"]}


async def test_multipart_upload_and_format_override(
    client: httpx.AsyncClient, editor: Account, glossary: dict[str, Any]
) -> None:
    gid = glossary["id"]
    uploaded = await client.post(
        f"{G}/{gid}/import",
        files={"file": ("terms.json", b'[{"term": "alpha"}]', "application/octet-stream")},
        headers=editor.headers,
    )
    assert uploaded.status_code == 200, uploaded.text
    override = await client.post(
        f"{G}/{gid}/import",
        params={"format": "csv"},
        content=b"term\nbeta\n",
        headers={**editor.headers, "content-type": "application/octet-stream"},
    )
    assert override.status_code == 200, override.text
    unknown = await client.post(
        f"{G}/{gid}/import",
        content=b"term\nbeta\n",
        headers={**editor.headers, "content-type": "application/octet-stream"},
    )
    assert_problem(unknown, 415, "unsupported-media-type")


@pytest.mark.parametrize(
    ("fmt", "data", "line"),
    [
        ("csv", b"", None),
        ("csv", b"term,defintion\nx,y\n", 1),
        ("csv", "term\ncaf\u00e9\n".encode("latin-1"), 2),
        ("json", b'{"term": "x"}', 1),
        ("json", b'[{"term": "x"},\n{"term": ]', 2),
        ("tbx", b"<tbx><text><body><conceptEntry>\n<oops></body></tbx>", 2),
        (
            "tbx",
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><tbx>&a;</tbx>',
            None,
        ),
    ],
)
async def test_unreadable_files_are_422_with_a_line(
    client: httpx.AsyncClient,
    editor: Account,
    glossary: dict[str, Any],
    fmt: str,
    data: bytes,
    line: int | None,
) -> None:
    body = assert_problem(
        await import_file(client, editor, glossary["id"], data, fmt), 422, "validation-error"
    )
    assert body["errors"][0]["line"] == line


async def test_tbx_2008_files_import(
    client: httpx.AsyncClient, editor: Account, glossary: dict[str, Any]
) -> None:
    data = b"""<?xml version="1.0" encoding="UTF-8"?>
<martif type="TBX-Basic" xml:lang="en-US">
  <martifHeader><fileDesc><sourceDesc><p>legacy tool</p></sourceDesc></fileDesc></martifHeader>
  <text><body>
    <termEntry id="e1">
      <descrip type="subjectField">economics</descrip>
      <langSet xml:lang="de"><tig><term>Inferenz</term></tig></langSet>
      <langSet xml:lang="en-US">
        <tig>
          <term>inference</term>
          <descrip type="definition">Running a trained model.</descrip>
        </tig>
        <ntig><termGrp><term>inferencing</term></termGrp></ntig>
      </langSet>
    </termEntry>
  </body></text>
</martif>"""
    response = await import_file(client, editor, glossary["id"], data, "tbx")
    assert response.status_code == 200, response.text
    [term] = await terms_of(client, editor, glossary["id"])
    assert (term["term"], term["definition"], term["aliases"], term["tags"]) == (
        "inference",
        "Running a trained model.",
        ["inferencing"],
        ["economics"],
    )


async def test_import_limits_are_413(
    client: httpx.AsyncClient,
    editor: Account,
    glossary: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gid = glossary["id"]
    monkeypatch.setattr(schemas, "MAX_IMPORT_BYTES", 20)
    too_big = await import_file(client, editor, gid, b"term\n" + b"x\n" * 20, "csv")
    assert_problem(too_big, 413, "payload-too-large")
    monkeypatch.setattr(schemas, "MAX_IMPORT_BYTES", 1_000_000)

    monkeypatch.setattr(schemas, "MAX_TERMS_PER_GLOSSARY", 3)
    four = await import_file(client, editor, gid, b"term\na\nb\nc\nd\n", "csv")
    assert_problem(four, 413, "payload-too-large")
    await add_term(client, editor, gid, term="z")
    over = await import_file(client, editor, gid, b"term\na\nb\nc\n", "csv")
    body = assert_problem(over, 413, "payload-too-large")
    assert body["limit"] == 3
    assert [t["term"] for t in await terms_of(client, editor, gid)] == ["z"]


async def test_a_body_over_the_server_limit_is_413(
    client: httpx.AsyncClient, editor: Account, glossary: dict[str, Any], settings: Any
) -> None:
    data = b"term\n" + b"x" * settings.max_body_bytes
    response = await import_file(client, editor, glossary["id"], data, "csv")
    assert_problem(response, 413, "payload-too-large")


async def test_viewers_export(
    client: httpx.AsyncClient, editor: Account, viewer: Account, glossary: dict[str, Any]
) -> None:
    await add_term(client, editor, glossary["id"], term="inference")
    for fmt in ("csv", "json", "tbx"):
        await export(client, viewer, glossary["id"], fmt)
    bad = await client.get(
        f"{G}/{glossary['id']}/export", params={"format": "xlsx"}, headers=viewer.headers
    )
    assert_problem(bad, 422, "validation-error")
