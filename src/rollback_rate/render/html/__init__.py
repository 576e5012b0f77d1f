"""The dashboard's HTML: the page the service serves and the self-contained report file.

Both are one shell (`page.html`) around the same script, which renders every view from the
API's JSON: the page fetches `GET /api/v1/...`; the file carries the answers to exactly
those requests inside it (a snapshot), so the two show the same numbers. The charts are
Plotly's, from the `plotly.min.js` that the installed `plotly` package ships: served from
there, or inlined into the file, never fetched from a CDN. Nothing here imports plotly.
"""

from __future__ import annotations

import html
import importlib.util
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from rollback_rate.errors import RollbackRateError

_HERE = Path(__file__).parent / "static"
# The script, in load order: the core (data access, formatting, routing), then one file
# per view. A view fed by an endpoint still being built shows only when it answers 200.
SCRIPTS = (
    "core.js",
    "views/filters.js",
    "views/headline.js",
    "views/timeline.js",
    "views/trend.js",
    "views/cost.js",
    "views/groups.js",
    "views/causes.js",
    "views/advice.js",
    "views/readiness.js",
    "views/time_to_rollback.js",
    "views/survival.js",
    "views/recent.js",
    "main.js",
)
# What the served page may load: its own origin only (Plotly adds inline styles). The
# header adds what a <meta> policy cannot say (frame-ancestors).
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'"
)
PAGE_HEADER_POLICY = PAGE_POLICY + "; frame-ancestors 'none'"
# What the file may load: nothing outside itself.
FILE_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; connect-src 'none'; form-action 'none'"
)


class ChartLibraryMissing(RollbackRateError):
    """The `plotly` package (which ships plotly.min.js) is not installed."""


@cache
def plotly_js() -> bytes:
    """plotly.min.js as the installed `plotly` package ships it (found, not imported)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:
        raise ChartLibraryMissing("the dashboard needs the plotly package: pip install plotly")
    return (Path(spec.origin).parent / "package_data" / "plotly.min.js").read_bytes()


@cache
def dashboard_js() -> bytes:
    """The dashboard's script: every part in load order, one file."""
    parts = [f"/* {name} */\n{(_HERE / name).read_text(encoding='utf-8')}" for name in SCRIPTS]
    return "\n".join(parts).encode()


@cache
def dashboard_css() -> bytes:
    return (_HERE / "dashboard.css").read_bytes()


def _shell() -> str:
    return (_HERE / "page.html").read_text(encoding="utf-8")


def dashboard_page(asset_base: str, signed_in: bool) -> str:
    """The served page: the shell, with the script, styles and Plotly from `asset_base`."""
    base = html.escape(asset_base, quote=True)
    head = f'<link rel="stylesheet" href="{base}/dashboard.css">'
    scripts = (
        f'<script src="{base}/plotly.min.js"></script>\n<script src="{base}/dashboard.js"></script>'
    )
    return _fill(_shell(), PAGE_POLICY, head, scripts, mode="live", signed_in=signed_in)


def report_file(snapshot: dict[str, Any]) -> str:
    """One self-contained HTML file: the shell with everything inlined, including the
    snapshot (`{"filters": {...}, "documents": {request key: JSON answer}}`)."""
    head = f"<style>{_inline(dashboard_css().decode())}</style>"
    scripts = "\n".join(
        (
            f'<script type="application/json" id="rr-snapshot">{json_for_html(snapshot)}</script>',
            f"<script>{_inline(plotly_js().decode())}</script>",
            f"<script>{_inline(dashboard_js().decode())}</script>",
        )
    )
    return _fill(_shell(), FILE_POLICY, head, scripts, mode="file", signed_in=False)


def json_for_html(value: Any) -> str:
    """JSON that cannot end the script element it sits in nor open markup: `<`, `>`, `&`
    and the two JavaScript line terminators are escaped (a model named `</script>` stays
    data)."""
    text = orjson.dumps(value).decode()
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def _inline(source: str) -> str:
    # An inlined script or style ends at the first `</script` or `</style`: none may occur.
    lowered = source.lower()
    if "</script" in lowered or "</style" in lowered or "<!--" in lowered:
        raise ValueError("an inlined asset contains </script, </style or <!--")
    return source


def _fill(shell: str, policy: str, head: str, scripts: str, *, mode: str, signed_in: bool) -> str:
    return (
        shell.replace("{{policy}}", policy)
        .replace("{{head}}", head)
        .replace("{{scripts}}", scripts)
        .replace("{{mode}}", mode)
        .replace("{{signed_in}}", "true" if signed_in else "false")
    )


def sign_in_page(asset_base: str, message: str | None, next_path: str) -> str:
    """The form that trades a read token for the dashboard's session cookie."""
    base = html.escape(asset_base, quote=True)
    problem = f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>Sign in: Model Rollback Rate</title>
<link rel="stylesheet" href="{base}/dashboard.css">
</head>
<body>
<form class="signin" method="post" action="/session">
<h1>Model Rollback Rate</h1>
<p>Sign in with an API token that has the <code>read</code> scope
(<code>rollback-rate tokens create --name NAME --scope read</code>). It is kept in a
cookie for this site only, for 12 hours or until you sign out.</p>
{problem}
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password"
 placeholder="rr_..." required>
<input type="hidden" name="next" value="{html.escape(next_path, quote=True)}">
<button type="submit">Sign in</button>
</form>
</body>
</html>
"""
