"""A read-only client of MLflow's Model Registry REST API, with errors made readable.

Only the REST API is used (httpx), never the ``mlflow`` package: the registry may run any
3.x version, and rollback-rate must not pull MLflow's dependency tree in.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from rollback_rate.errors import RollbackRateError

API = "/api/2.0/mlflow"
PAGE_SIZE = 1_000  # the largest max_results registered-models/search accepts
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class MLflowSyncError(RollbackRateError):
    """The tracking server cannot be reached, or answered with an error we cannot use."""


def connect(
    tracking_uri: str,
    *,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
) -> httpx.Client:
    """An httpx client for an MLflow tracking server at an ``http(s)://`` URI.

    ``token`` is sent as a bearer token, ``username``/``password`` as basic auth: the same
    two schemes MLflow's own client takes from ``MLFLOW_TRACKING_TOKEN`` and
    ``MLFLOW_TRACKING_USERNAME``/``_PASSWORD``.  A path in the URI (a server behind a
    reverse-proxy prefix) is kept: API paths are appended to it.
    """
    uri = tracking_uri.strip()
    if not uri.startswith(("http://", "https://")):
        raise MLflowSyncError(
            f"tracking URI {redact(uri)!r} is not an http:// or https:// URL of an MLflow "
            "tracking server (file stores and 'databricks' URIs are not supported)"
        )
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    auth = httpx.BasicAuth(username, password or "") if username else None
    return httpx.Client(base_url=uri.rstrip("/"), headers=headers, auth=auth, timeout=timeout)


class Registry:
    """The four read-only registry calls the sync needs, with errors made readable."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.where = redact(str(client.base_url).rstrip("/"))

    def get(self, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        try:
            response = self.client.get(API + path, params=dict(params))
        except httpx.TimeoutException:
            raise MLflowSyncError(
                f"MLflow tracking server at {self.where} did not answer GET {API}{path} in time"
            ) from None
        except httpx.TransportError as exc:
            raise MLflowSyncError(
                f"cannot reach MLflow tracking server at {self.where}: {_reason(exc)}"
            ) from None
        if response.status_code >= 400:
            raise MLflowSyncError(
                f"MLflow tracking server at {self.where} answered HTTP "
                f"{response.status_code} to GET {API}{path}: {_error_text(response)}"
            )
        try:
            body = response.json()
        except ValueError:
            raise MLflowSyncError(
                f"MLflow tracking server at {self.where} answered GET {API}{path} with "
                "something that is not JSON; is this the tracking server's URL?"
            ) from None
        if not isinstance(body, dict):
            raise MLflowSyncError(
                f"MLflow tracking server at {self.where} answered GET {API}{path} with "
                f"a JSON {type(body).__name__}, expected an object"
            )
        return body

    def search_models(self, page_size: int) -> Iterator[dict[str, Any]]:
        """Every registered model, page by page (a token seen twice ends the walk)."""
        token: str | None = None
        seen: set[str] = set()
        while True:
            params: dict[str, Any] = {"max_results": page_size}
            if token:
                params["page_token"] = token
            page = self.get("/registered-models/search", params)
            yield from page.get("registered_models") or []
            token = page.get("next_page_token")
            if not token or token in seen:
                return
            seen.add(token)

    def get_model(self, name: str) -> dict[str, Any]:
        try:
            body = self.get("/registered-models/get", {"name": name})
        except MLflowSyncError as exc:
            if "HTTP 404" in str(exc):
                raise MLflowSyncError(
                    f"registered model {name!r} does not exist on the MLflow tracking "
                    f"server at {self.where}"
                ) from None
            raise
        model = body.get("registered_model")
        if not isinstance(model, dict):
            raise MLflowSyncError(f"{self.where}: registered-models/get gave no registered_model")
        return model

    def get_version(self, name: str, version: str) -> dict[str, Any]:
        body = self.get("/model-versions/get", {"name": name, "version": version})
        found = body.get("model_version")
        return found if isinstance(found, dict) else {}


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


def _error_text(response: httpx.Response) -> str:
    """MLflow's ``{"error_code", "message"}`` body when there is one, else the raw text."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and (body.get("error_code") or body.get("message")):
        return ": ".join(str(body[k]) for k in ("error_code", "message") if body.get(k))
    text = response.text.strip().replace("\n", " ")
    return (text[:200] + "...") if len(text) > 200 else (text or response.reason_phrase)


def redact(url: str) -> str:
    """Hide credentials embedded in a URL (``https://user:secret@host``) in messages."""
    scheme, sep, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rsplit("@", 1)[1]
    return scheme + sep + authority + slash + path
