"""The Starlette application: GET routes only (the UI never writes), HTML from Jinja2 templates.

Pages are plain functions of the request (``pages``); Starlette runs them in its thread pool, so a
slow page does not hold up the others. An unknown id is a 404 page with the CLI's "did you mean".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from investigate.core.errors import InvestigateError, UnknownIdError
from investigate.web import pages
from investigate.web.artifacts import Refused, safe_file
from investigate.web.state import LiveWorkspace

TEMPLATES = Path(__file__).parent / "templates"
# Artifacts are files an experiment wrote: never let one run script in the UI's origin.
ARTIFACT_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
    "X-Content-Type-Options": "nosniff",
}


def create_app(root: Path) -> Starlette:
    live = LiveWorkspace(root)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = pages.shown
    env.globals["query"] = pages.query

    def page(handler: Any, template: str) -> Any:
        def endpoint(request: Request) -> Response:
            try:
                context = handler(live.get(), request)
            except UnknownIdError as exc:
                html = env.get_template("error.html.j2").render(title="not found", message=str(exc))
                return HTMLResponse(html, status_code=404)
            except InvestigateError as exc:  # a bad query, or a file that no longer loads
                html = env.get_template("error.html.j2").render(title="error", message=str(exc))
                return HTMLResponse(html, status_code=400)
            return HTMLResponse(env.get_template(template).render(**context))

        return endpoint

    def artifact(request: Request) -> Response:
        ws = live.get()
        try:
            path = safe_file(ws.reports_dir, request.path_params["path"])
        except Refused as exc:
            return PlainTextResponse(f"refused: {exc}", status_code=404)
        return FileResponse(path, headers=ARTIFACT_HEADERS)

    routes = [
        Route("/", page(pages.index, "index.html.j2")),
        Route("/initiative/{id}", page(pages.initiative, "initiative.html.j2")),
        Route("/hypothesis/{id}", page(pages.hypothesis, "hypothesis.html.j2")),
        Route("/runs", page(pages.runs, "runs.html.j2")),
        Route("/run/{run_id:path}", page(pages.run, "run.html.j2")),
        Route("/compare/{id}", page(pages.compare, "compare.html.j2")),
        Route("/diff", page(pages.diff, "diff.html.j2")),
        Route("/artifact/{path:path}", artifact),
    ]
    return Starlette(routes=routes)
