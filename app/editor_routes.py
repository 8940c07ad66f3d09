"""The geoportal's editor for signed-in staff: its session, its forms and its code.

The editor (``app/static/editor/``: modules, style, and the npm-installed terra-draw with its
MapLibre adapter under ``/static/editor/vendor/``) is served to signed-in staff only: an
anonymous visitor's page never asks for it, and asking anyway gets a 404. Saves go through the
OGC API Part 4 routes and the split and merge routes, with If-Match and the CSRF header, like
any other client.

- ``GET /editor/session`` — who is editing and the collections, each with whether this user
  may edit it (``Registry.edit_roles``).
- ``GET /registries/{id}/form`` — the form of a registry, from its declaration: field titles,
  types, required, unique, patterns, code lists with their titles, read-only (derived) fields,
  and whether its objects are split and merged. The editor never declares a label itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from gis.auth import Principal, Role
from gis.errors import Forbidden, NotFound, Unauthorized
from gis.negotiation import json_document
from registries.catalog import Catalog
from registries.model import Field, Registry
from registries.rules import rule_titles

STATIC = Path(__file__).with_name("static")
EDITOR = STATIC / "editor"
NODE_MODULES = STATIC / "node_modules"
VENDOR = {"terra-draw": NODE_MODULES / "terra-draw" / "dist",
          "terra-draw-maplibre-gl-adapter": NODE_MODULES / "terra-draw-maplibre-gl-adapter"
          / "dist"}
ASGIApp = Callable[..., Any]


def may_edit(who: Principal, reg: Registry) -> bool:
    """Return True when ``who`` may edit ``reg`` (as ``registries.writes.check_can_edit``)."""
    return who.authenticated and any(who.has(role) for role in reg.edit_roles)


def is_editor(who: Principal) -> bool:
    """Return True for signed-in users with a staff role (they get the editor)."""
    return who.authenticated and bool(who.roles & {Role.PLANNER, Role.REGISTRAR, Role.ADMIN})


def field_form(f: Field) -> dict[str, Any]:
    """Return what the editor's form needs of one field, all from its declaration."""
    return {"name": f.name, "type": f.type.value, "title": f.title or {"uk": f.name,
                                                                        "en": f.name},
            "description": f.description or None, "required": f.required,
            "unique": f.unique, "pattern": f.pattern, "scale": f.scale,
            "format": {"uk": f.pattern_words("uk"), "en": f.pattern_words("en")}
            if f.pattern else None,
            "personal": f.personal or f.personal_if is not None, "readOnly": not f.is_stored,
            "references": f.references,
            "choices": [{"code": c, "title": {"uk": f.choice_title(c, "uk"),
                                              "en": f.choice_title(c, "en")}}
                        for c in f.choices] if f.choices else None}


def registry_form(reg: Registry, who: Principal) -> dict[str, Any]:
    """Return the form of ``reg`` for ``who``."""
    reshaping = reg.reshaping
    return {"id": reg.id, "title": reg.title, "geometry": reg.geometry.value, "label": reg.label,
            "noun": reg.object_noun, "editable": may_edit(who, reg),
            "reshaping": {"clear": list(reshaping.clear),
                          "mergeEqual": list(reshaping.merge_equal)} if reshaping else None,
            "fields": [field_form(f) for f in reg.fields],
            # what each rule checks, in both languages: a refusal names its rule
            "rules": rule_titles(reg)}


class StaffOnly:
    """Serve ``app`` to signed-in staff; everybody else gets a 404 (nothing to see here)."""

    def __init__(self, app: ASGIApp, authenticate: Callable[[Request], Principal]) -> None:
        self.app = app
        self.authenticate = authenticate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        who = await run_in_threadpool(self.authenticate, request)
        if not is_editor(who):
            raise NotFound(f"nothing is served at {request.url.path}")
        await self.app(scope, receive, send)


def editor_routes(catalog: Catalog,
                  authenticate: Callable[[Request], Principal]) -> list[Route | Mount]:
    """Return the editor's routes and its staff-only static mounts."""

    async def session(request: Request) -> Response:
        who = await run_in_threadpool(authenticate, request)
        if not who.authenticated:
            raise Unauthorized("sign in first (/login)")
        if not is_editor(who):
            raise Forbidden(f"user {who.name} has no editing role")
        return JSONResponse({
            "name": who.name, "roles": sorted(who.roles),
            "collections": [{"id": r.id, "title": r.title, "geometry": r.geometry.value,
                             "editable": may_edit(who, r),
                             "reshaping": r.reshaping is not None} for r in catalog]},
            headers={"Cache-Control": "no-store"})

    async def form(request: Request) -> Response:
        who = await run_in_threadpool(authenticate, request)
        if not is_editor(who):
            raise NotFound("no such form") if not who.authenticated else \
                Forbidden(f"user {who.name} has no editing role")
        reg = catalog.get(request.path_params["collection_id"])
        return JSONResponse(registry_form(reg, who), headers={"Cache-Control": "no-store"})

    def guarded(directory: Path) -> ASGIApp:
        files = StaticFiles(directory=directory, check_dir=False)
        return StaffOnly(GZipMiddleware(files, minimum_size=1000), authenticate)

    return [Route("/editor/session", json_document(session)),
            Route("/registries/{collection_id}/form", json_document(form)),
            *(Mount(f"/static/editor/vendor/{name}", app=guarded(path))
              for name, path in VENDOR.items()),
            Mount("/static/editor", app=guarded(EDITOR))]
