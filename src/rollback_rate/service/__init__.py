"""The HTTP service (`rollback-rate serve`): FastAPI over the library's `Ledger`.

Reusable pieces for routers added elsewhere (webhooks): `require_scope` (auth),
`get_ledger` (the process's ledger), `ApiError` / `error_response` (the error envelope).
"""

from rollback_rate.service.app import app_from_env, create_app
from rollback_rate.service.auth import require_scope
from rollback_rate.service.errors import ApiError, error_response
from rollback_rate.service.settings import Settings
from rollback_rate.service.state import get_ledger

__all__ = [
    "ApiError",
    "Settings",
    "app_from_env",
    "create_app",
    "error_response",
    "get_ledger",
    "require_scope",
]
