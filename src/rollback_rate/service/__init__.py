"""The HTTP service (`rollback-rate serve`): FastAPI over the same store and metrics.

Reusable pieces for routers added elsewhere (webhooks): `require_scope` (auth),
`get_database` (the process's database), `ApiError` / `error_response` (the error
envelope) and `with_retries` (deadlock-safe write transactions).
"""

from rollback_rate.service.app import app_from_env, create_app
from rollback_rate.service.auth import require_scope
from rollback_rate.service.errors import ApiError, error_response
from rollback_rate.service.retry import with_retries
from rollback_rate.service.settings import Settings
from rollback_rate.service.state import get_database

__all__ = [
    "ApiError",
    "Settings",
    "app_from_env",
    "create_app",
    "error_response",
    "get_database",
    "require_scope",
    "with_retries",
]
