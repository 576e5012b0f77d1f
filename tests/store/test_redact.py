"""Credentials never printed: every form a database URL or driver message can carry them."""

from __future__ import annotations

import pytest

from rollback_rate.store.database import redact, redact_text

SECRET = "hunter2x"

URLS = [
    f"postgresql://user:{SECRET}@db.internal:5432/rollback",
    f"postgresql+psycopg://user:{SECRET}@db.internal/rollback",
    f"postgresql://user:p@ss{SECRET}@db.internal/rollback",  # '@' in the password
    f"postgresql://user:pa?ss{SECRET}@db.internal/rollback",  # '?' in the password
    f"postgresql://user:pa/ss{SECRET}@db.internal/rollback",  # '/' in the password
    f"postgresql://user:pa#ss{SECRET}@db.internal/rollback",  # '#' in the password
    f"postgresql://db.internal/rollback?password={SECRET}",
    f"postgresql://db.internal/rollback?user=bob&password={SECRET}&sslmode=require",
    f"postgresql://db.internal/rollback?PassWord={SECRET}",
    f"postgresql://db.internal/rollback?pass%77ord={SECRET}",  # percent-encoded name
    f"postgresql://db.internal/rollback?sslpassword={SECRET}",
    f"postgresql://db.internal/rollback?passwd={SECRET}",
    f"postgresql://db.internal/rollback;password={SECRET}",
    f"postgresql://db.internal/rollback?password={SECRET}%20with%20spaces",
    f"postgresql://db.internal:{SECRET}/rollback",  # a secret typed where the port goes
]


@pytest.mark.parametrize("url", URLS)
def test_redact_hides_every_credential(url):
    shown = redact(url)
    assert SECRET not in shown
    assert shown.startswith(url.split("://", 1)[0] + "://")
    assert "db.internal" in shown or "***" in shown


def test_redact_keeps_what_is_not_secret():
    url = "postgresql://db.internal:5432/rollback?sslmode=require&application_name=rr"
    assert redact(url) == url
    assert redact("sqlite:////var/lib/rr.db") == "sqlite:////var/lib/rr.db"
    assert redact(f"postgresql://u:{SECRET}@h/d") == "postgresql://***@h/d"
    assert redact(f"postgresql://h/d?password={SECRET}&x=1") == "postgresql://h/d?password=***&x=1"


@pytest.mark.parametrize(
    "text",
    [
        f"could not connect: postgresql://u:{SECRET}@host/db failed",
        f"invalid dsn: 'host=h password={SECRET} dbname=d'",
        f"invalid dsn: host=h password='{SECRET} with space' dbname=d",
        f'connection to "postgresql://h/d?password={SECRET}" refused',
        f"PASSWORD = {SECRET}",
    ],
)
def test_redact_text_hides_credentials_inside_messages(text):
    assert SECRET not in redact_text(text)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (f"postgresql://u:{SECRET}@h/d", f"invalid literal for int() with base 10: {SECRET!r}"),
        # SQLAlchemy ends the password at its first '@': the driver then names the rest
        # as the host (seen: "failed to resolve host 'ss@127.0.0.1'").
        (f"postgresql://u:p@ss{SECRET}@h/d", f"failed to resolve host 'ss{SECRET}@h'"),
        (f"postgresql://u:pa?ss{SECRET}@h/d", f"invalid connection option 'ss{SECRET}@h/d'"),
        (f"postgresql://h/d?password={SECRET}%20x", f"bad value '{SECRET} x'"),
        (f"postgresql://h/d?PASSWORD={SECRET}", f"near {SECRET}"),
        (f"postgresql://h:{SECRET}/d", f"invalid port {SECRET}"),
    ],
)
def test_redact_text_scrubs_the_secrets_of_a_known_url(url, message):
    # A driver may quote a credential back in a form no pattern recognises: given the
    # URL, every secret it holds is scrubbed wherever it appears.
    assert SECRET not in redact_text(message, url)
