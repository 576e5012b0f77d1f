"""The dashboard (`GET /`), its browser session, its assets and the offline API docs.

The page holds no data: its script reads `GET /api/v1/...` like any client, with the
session cookie set here. Signing in trades a token with the `read` scope for that cookie
(HttpOnly, SameSite=Strict, Secure over HTTPS); `auth.require_scope` accepts it for read
GETs only. Assets come from installed packages: Plotly's `plotly.min.js` from `plotly`,
Swagger UI from `swagger-ui-bundle`, so neither the dashboard nor `/docs` needs a network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rollback_rate.render import html
from rollback_rate.service.auth import SESSION_COOKIE, session_token
from rollback_rate.service.errors import ApiError
from rollback_rate.service.routes_events import read_body

router = APIRouter(include_in_schema=False)

ASSETS = "/assets"
SESSION_SECONDS = 12 * 3600
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".png": "image/png"}  # fmt: skip
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _signed_in(request: Request) -> bool:
    token = session_token(request)
    if token is None:
        return False
    info = request.app.state.tokens.lookup(request.app.state.ledger, token)
    return info is not None and info.allows("read")


@router.get("/")
def dashboard(request: Request) -> Response:
    """The dashboard, or the sign-in form (401) without a valid read session."""
    if request.app.state.settings.no_auth:
        page = html.dashboard_page(ASSETS, signed_in=False)
    elif _signed_in(request):
        page = html.dashboard_page(ASSETS, signed_in=True)
    else:
        return _sign_in(None, _next(request), 401)
    headers = {**_PAGE_HEADERS, "Content-Security-Policy": html.PAGE_HEADER_POLICY}
    return HTMLResponse(page, headers=headers)


@router.post("/session")
def sign_in(request: Request, body: Annotated[bytes, Depends(read_body)]) -> Response:
    """Check the token, then set the session cookie and go back to the dashboard."""
    _same_origin(request)
    form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    token = (form.get("token") or [""])[0].strip()
    next_path = _safe_next((form.get("next") or ["/"])[0])
    if not token:
        return _sign_in("token: enter an API token (rr_...)", next_path, 401)
    info = request.app.state.tokens.lookup(request.app.state.ledger, token)
    if info is None:
        return _sign_in("token: invalid or revoked token", next_path, 401)
    if not info.allows("read"):
        scopes = ", ".join(info.scopes)
        return _sign_in(
            f"token: {info.name!r} lacks the 'read' scope (it has: {scopes})", next_path, 403
        )
    response = RedirectResponse(next_path, status_code=303, headers=_PAGE_HEADERS)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_https(request),
    )
    return response


@router.post("/session/end")
def sign_out(request: Request) -> Response:
    """Forget the session cookie."""
    _same_origin(request)
    response = RedirectResponse("/", status_code=303, headers=_PAGE_HEADERS)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=_https(request))  # fmt: skip
    return response


@router.get(ASSETS + "/{name}")
def asset(name: str) -> Response:
    """The dashboard's script and styles, Plotly, and Swagger UI, from installed packages."""
    makers = {
        "dashboard.js": html.dashboard_js,
        "dashboard.css": html.dashboard_css,
        "plotly.min.js": html.plotly_js,
    }
    if name in makers:
        content = makers[name]()
    elif name in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        content = (_swagger_ui() / name).read_bytes()
    else:
        raise ApiError(404, "not_found", f"no asset {name!r}")
    headers = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return Response(content, media_type=_TYPES[Path(name).suffix], headers=headers)


@router.get("/docs")
def docs() -> Response:
    """Swagger UI over /openapi.json, with its assets served from this process."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="rollback-rate API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
    )


def _swagger_ui() -> Path:
    from swagger_ui_bundle import swagger_ui_path

    return Path(str(swagger_ui_path))


def _sign_in(message: str | None, next_path: str, status: int) -> Response:
    page = html.sign_in_page(ASSETS, message, next_path)
    return HTMLResponse(page, status_code=status, headers=_PAGE_HEADERS)


def _next(request: Request) -> str:
    query = request.url.query
    return "/" + (f"?{query}" if query else "")


def _safe_next(path: str) -> str:
    """Only a path on this site: never `//host` or a scheme (an open redirect)."""
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or not path.startswith("/") or path.startswith("//"):
        return "/"
    return path


def _https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"


def _same_origin(request: Request) -> None:
    """A form posted from another site is refused (login CSRF); browsers send Origin."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host"):
        raise ApiError(403, "forbidden", "cross-site form submission refused")
