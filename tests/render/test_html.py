"""The dashboard's HTML shells: hostile strings stay data, the file loads nothing."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from rollback_rate.render import html

HOSTILE = '</script><script>alert("x")</script>\u2028<!-- & -->'


def _snapshot() -> dict:  # type: ignore[type-arg]
    return {"filters": {"window": "7d", "model": HOSTILE}, "drill_models": [HOSTILE],
            "documents": {json.dumps(["/api/v1/report", []]): {"m": HOSTILE}}}  # fmt: skip


def test_json_in_a_script_element_cannot_close_it_and_reads_back_the_same():
    text = html.json_for_html({"name": HOSTILE})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"name": HOSTILE}


def test_the_file_inlines_everything_and_names_no_other_origin():
    page = html.report_file(_snapshot())
    assert page.count("<script") == 3  # the snapshot, Plotly, the dashboard
    assert re.findall(r"<(?:script|link)[^>]*\b(?:src|href)=", page) == []
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert csp is not None and "default-src 'none'" in csp.group(1)
    assert "connect-src 'none'" in csp.group(1)
    assert html.plotly_js()[:200] in page.encode()
    assert 'alert("x")' not in page  # only as escaped JSON
    # The hostile name appears once, escaped, inside the snapshot element.
    snapshot = re.search(r'<script type="application/json" id="rr-snapshot">(.*?)</script>', page)
    assert snapshot is not None
    assert json.loads(snapshot.group(1))["filters"]["model"] == HOSTILE


def test_our_own_script_and_styles_name_no_external_url():
    for source in (html.dashboard_js().decode(), html.dashboard_css().decode()):
        assert re.findall(r"https?://", source) == []
    for name in html.SCRIPTS:
        assert f"/* {name} */" in html.dashboard_js().decode()


def test_an_asset_that_could_end_its_element_is_refused():
    with pytest.raises(ValueError, match="</script"):
        html._inline("var a = '</SCRIPT>';")


def test_the_served_page_loads_its_assets_from_the_service():
    page = html.dashboard_page("/assets", signed_in=True)
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts == ["/assets/plotly.min.js", "/assets/dashboard.js"]
    assert 'data-mode="live"' in page and 'data-signed-in="true"' in page


def test_the_sign_in_page_escapes_its_message_and_next_path():
    page = html.sign_in_page("/assets", "token: '<b>'", '/?model="><script>')
    assert "<b>" not in page and "&lt;b&gt;" in page
    assert '"><script>' not in page


def test_the_command_line_starts_without_the_dashboard_or_plotly():
    code = (
        "import sys, rollback_rate.cli;"
        "print(sorted(m for m in sys.modules if m.startswith(("
        "'plotly', 'rollback_rate.render.html', 'fastapi', 'swagger_ui_bundle'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
