"""A stand-in for the Gloss API routes the extension uses, for developing the extension while
the real routes are not on main yet. It is used only when GLOSS_E2E_SERVER=stub; the end-to-end
tests and benchmarks otherwise start the real `gloss serve`.

Run: python -m tests.e2e.contract_stub --port 8765 --token secret
"""

from __future__ import annotations

import argparse
import re
import time
import uuid
from typing import Any

import uvicorn
from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse

ENTITIES = {
    "DeepSeek": "ORG",
    "Nvidia": "ORG",
    "Microsoft": "ORG",
    "Hangzhou": "GPE",
    "Beijing": "GPE",
    "Paris": "GPE",
}


def utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def create_app(token: str) -> FastAPI:
    app = FastAPI()
    glossaries: dict[str, dict[str, Any]] = {}
    collections: dict[str, dict[str, Any]] = {"c-default": {"id": "c-default", "name": "Reading"}}
    annotations: list[dict[str, Any]] = []

    def auth(authorization: str | None) -> None:
        if authorization != f"Bearer {token}":
            raise HTTPException(401, "bad token")

    @app.exception_handler(HTTPException)
    async def problem(_: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(
            {"type": "about:blank", "title": str(exc.detail), "status": exc.status_code},
            status_code=exc.status_code,
            media_type="application/problem+json",
        )

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/me")
    async def me(authorization: str | None = Header(None)) -> dict[str, Any]:
        auth(authorization)
        return {
            "id": "u1",
            "name": "admin",
            "display_name": None,
            "teams": [{"id": "t1", "name": "default", "role": "owner"}],
        }

    @app.post("/v1/glossaries", status_code=201)
    async def create_glossary(
        body: dict[str, Any], authorization: str | None = Header(None)
    ) -> dict[str, Any]:
        auth(authorization)
        gid = str(uuid.uuid4())
        glossaries[gid] = {"id": gid, "name": body["name"], "terms": {}}
        return {"id": gid, "name": body["name"]}

    @app.post("/v1/glossaries/{gid}/terms", status_code=201)
    async def create_term(
        gid: str, body: dict[str, Any], authorization: str | None = Header(None)
    ) -> dict[str, Any]:
        auth(authorization)
        tid = str(uuid.uuid4())
        term = {"id": tid, "glossary_id": gid, "aliases": [], "url": None, **body}
        glossaries[gid]["terms"][tid] = term
        return term

    @app.post("/v1/collections", status_code=201)
    async def create_collection(
        body: dict[str, Any], authorization: str | None = Header(None)
    ) -> dict[str, Any]:
        auth(authorization)
        cid = str(uuid.uuid4())
        collections[cid] = {"id": cid, "name": body["name"]}
        return collections[cid]

    @app.get("/v1/collections")
    async def list_collections(authorization: str | None = Header(None)) -> dict[str, Any]:
        auth(authorization)
        return {"items": list(collections.values())}

    @app.post("/v1/collections/{cid}/annotations/", status_code=201)
    async def create_annotation(
        cid: str, body: dict[str, Any], authorization: str | None = Header(None)
    ) -> dict[str, Any]:
        auth(authorization)
        stored = {**body, "id": f"http://stub/v1/collections/{cid}/annotations/{uuid.uuid4()}"}
        annotations.append(stored)
        return stored

    @app.get("/v1/annotations")
    async def find_annotations(
        url: str, authorization: str | None = Header(None)
    ) -> dict[str, Any]:
        auth(authorization)
        return {"items": [a for a in annotations if a["target"]["source"] == url]}

    @app.post("/v1/annotate")
    async def annotate(
        body: dict[str, Any], authorization: str | None = Header(None)
    ) -> dict[str, Any]:
        auth(authorization)
        started = time.perf_counter()
        text: str = body["text"]
        terms = []
        taken: list[tuple[int, int]] = []
        candidates = []
        for g in glossaries.values():
            for t in g["terms"].values():
                for form in [t["term"], *t.get("aliases", [])]:
                    for m in re.finditer(rf"\b{re.escape(form)}s?\b", text, re.IGNORECASE):
                        candidates.append((m.start(), m.end(), t))
        for start, end, t in sorted(candidates, key=lambda c: (c[0], -(c[1] - c[0]))):
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            terms.append(
                {
                    "start": utf16_len(text[:start]),
                    "end": utf16_len(text[:end]),
                    "text": text[start:end],
                    "term_id": t["id"],
                    "glossary_id": t["glossary_id"],
                    "term": t["term"],
                    "definition": t["definition"],
                    "url": t.get("url"),
                }
            )
        entities = []
        for name, label in ENTITIES.items():
            for m in re.finditer(rf"\b{re.escape(name)}\b", text):
                entities.append(
                    {
                        "start": utf16_len(text[: m.start()]),
                        "end": utf16_len(text[: m.end()]),
                        "text": name,
                        "label": label,
                        "key": f"{label}:{name.lower()}",
                    }
                )
        return {
            "offsets": "utf16",
            "text_sha256": "",
            "entities": entities,
            "terms": terms,
            "related": [],
            "model": {"name": "stub", "version": "0"},
            "elapsed_ms": (time.perf_counter() - started) * 1000,
        }

    @app.get("/v1/annotate/card")
    async def card(
        kind: str,
        authorization: str | None = Header(None),
        term_id: str | None = None,
        text: str | None = None,
        label: str | None = None,
    ) -> dict[str, Any]:
        auth(authorization)
        if kind == "term":
            for g in glossaries.values():
                t = g["terms"].get(term_id or "")
                if t:
                    return {
                        "kind": "term",
                        "title": t["term"],
                        "label": None,
                        "term": {
                            "term_id": t["id"],
                            "glossary_id": g["id"],
                            "glossary_name": g["name"],
                            "term": t["term"],
                            "definition": t["definition"],
                            "aliases": t.get("aliases", []),
                            "url": t.get("url"),
                            "tags": [],
                            "entity_label": None,
                        },
                        "related": [],
                    }
            raise HTTPException(404, "no such term")
        return {"kind": "entity", "title": text, "label": label, "term": None, "related": []}

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(args.token), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
