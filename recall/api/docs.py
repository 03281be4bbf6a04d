"""The API's documentation page, served from this host: no CDN, so it works on a network
that reaches nothing but the API. Swagger UI's files come from npm's `swagger-ui-dist`
(pinned in `dashboard/assets/package-lock.json`, installed by `make setup`), mounted as static
files: Swagger UI 5 renders the OpenAPI 3.1 document FastAPI writes (the 4.x that PyPI's
`swagger-ui-bundle` ships refuses it: "does not specify a valid version field")."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"
SWAGGER_UI = Path(__file__).parent / "dashboard" / "assets" / "node_modules" / "swagger-ui-dist"
# Swagger UI asks validator.swagger.io about the document unless told not to.
PARAMETERS = {"validatorUrl": None}


def install_docs(app: FastAPI, openapi_url: str) -> None:
    """`/docs` (Swagger UI over `openapi_url`) and its assets under `/docs/assets`.

    Without `make setup`'s npm tree the API still starts; only the page's assets answer 404.
    """
    app.mount(ASSETS, StaticFiles(directory=SWAGGER_UI, check_dir=False), name="docs-assets")

    async def docs_page() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} — API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
            swagger_ui_parameters=PARAMETERS,
        )

    app.add_api_route("/docs", docs_page, include_in_schema=False, response_class=HTMLResponse)
