"""The API's documentation page, served from this host: no CDN, so it works on a network
that reaches nothing but the API (Swagger UI's files come from the `swagger-ui-bundle`
package, mounted as static files)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]  # no stubs

ASSETS = "/docs/assets"


def install_docs(app: FastAPI, openapi_url: str) -> None:
    """`/docs` (Swagger UI over `openapi_url`) and its assets under `/docs/assets`."""
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    async def docs_page() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} — API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )

    app.add_api_route("/docs", docs_page, include_in_schema=False, response_class=HTMLResponse)
