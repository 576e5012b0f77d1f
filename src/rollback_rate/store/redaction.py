"""Credentials out of everything printed: database URLs and the messages that quote them.

A database URL carries a password in its user part (`user:secret@host`) or its query
(`?password=secret`, as libpq and SQLAlchemy accept), and drivers quote connection
strings back in their errors (`password=secret`). Every place that prints a URL or a
driver's message goes through `redact` or `redact_text` (issue 9). Both err on the side
of hiding: a URL they cannot take apart loses everything between its scheme and its last
`@`, and given the URL, `redact_text` also scrubs each of its secrets wherever it
appears, in whatever form a driver repeats it.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

MASK = "***"
# Query parameters and conninfo keywords that hold a credential (libpq, SQLAlchemy, psycopg).
SECRET_KEYS = frozenset(
    {"password", "passwd", "pwd", "pass", "secret", "token", "sslpassword", "api_key", "apikey"}
)
_PAIR_IN_TEXT = re.compile(
    r"""(?ix)\b(password|passwd|pwd|secret|token|sslpassword|api_key|apikey)
    (\s*=\s*)('(?:[^'\\]|\\.)*'|"[^"]*"|[^\s&;'"]*)"""
)
_URL_IN_TEXT = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"]+", re.IGNORECASE)
_SCRUB_MIN = 3  # shorter "secrets" would garble every message they appear in


def redact(url: str) -> str:
    """A URL fit to print: the user part (`user:password@`), a port that is not a
    number, and every credential in the query (`?password=`) replaced by `***`."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return _redact_pairs(url)
    at = rest.rfind("@")  # a password may hold '@', '/', '?' or '#': the last '@' ends it
    if at != -1:
        rest = MASK + rest[at:]
    cut = min((i for i in (rest.find("?"), rest.find(";")) if i != -1), default=len(rest))
    location, query = rest[:cut], rest[cut:]
    return scheme + sep + _redact_port(location) + _redact_pairs(query)


def redact_text(text: str, url: str | None = None) -> str:
    """Any URL and any `password=...` inside a message redacted; given the database
    `url`, each of its secrets too, wherever the message repeats it."""
    text = _URL_IN_TEXT.sub(lambda match: redact(match.group(0)), text)
    text = _PAIR_IN_TEXT.sub(lambda match: match.group(1) + match.group(2) + MASK, text)
    for secret in secrets_of(url) if url else ():
        text = text.replace(secret, MASK)
    return text


def secrets_of(url: str) -> list[str]:
    """The credentials a URL holds (as written and decoded), longest first."""
    found: set[str] = set()
    _, sep, rest = url.partition("://")
    if sep:
        at = rest.rfind("@")
        if at != -1:
            password = rest[:at].partition(":")[2]
            # Parsers end a password at a delimiter it may hold, then quote the rest as
            # a host, a port or a database name: each piece is a secret too.
            pieces = re.split(r"[@/?#:;&]", password)
            found.update({password, unquote_plus(password), *pieces})
        port = rest[at + 1 :].split("/", 1)[0].rpartition(":")[2] if ":" in rest[at + 1 :] else ""
        if port and not port.isdigit() and "]" not in port:
            found.add(port)
    for key, value in _pairs(url):
        if unquote_plus(key).strip().lower() in SECRET_KEYS and value:
            found.update({value, unquote_plus(value)})
    return sorted((s for s in found if len(s) >= _SCRUB_MIN), key=len, reverse=True)


def _pairs(url: str) -> list[tuple[str, str]]:
    cut = min((i for i in (url.find("?"), url.find(";")) if i != -1), default=-1)
    if cut == -1:
        return []
    pairs = re.split(r"[&;]", url[cut + 1 :])
    return [(pair.partition("=")[0], pair.partition("=")[2]) for pair in pairs]


def _redact_pairs(query: str) -> str:
    """`key=value` pairs separated by `&` or `;` (after a leading `?` or `;`), with the
    value of every credential key (names percent-decoded) masked."""

    def one(pair: str) -> str:
        key, eq, value = pair.partition("=")
        if eq and value and unquote_plus(key).strip().lower() in SECRET_KEYS:
            return f"{key}={MASK}"
        return pair

    if not query or query[0] not in "?;":
        return _PAIR_IN_TEXT.sub(lambda match: match.group(1) + match.group(2) + MASK, query)
    parts = re.split(r"([&;])", query[1:])
    return query[0] + "".join(one(part) if part not in "&;" else part for part in parts)


def _redact_port(location: str) -> str:
    """`host:port/path` with a port that is not a number (a secret typed in the wrong
    place, perhaps) masked."""
    hostport, slash, path = location.partition("/")
    host, colon, port = hostport.rpartition(":")
    if colon and port and not port.isdigit() and "]" not in port:
        return f"{host}:{MASK}{slash}{path}"
    return location
