"""The composition root: settings -> database -> Faust app -> roles. Tests build their own pieces."""

from __future__ import annotations

import importlib
from typing import Any, Protocol

from streams.app import KittingApp
from streams.persistence import Database
from streams.settings import Settings

# The roles, found by name so that streams/ never imports agents/ (dependencies point one way).
ROLE_MODULES: tuple[str, ...] = (
    "agents.extractor.agent",
    "agents.router.agent",
    "agents.coordinator.agent",
    "agents.ordering.agent",
    "agents.delivery.agent",
    "agents.settlement.agent",
    "agents.providers.agent",
)

HTTP_APP_MODULE = "agents.gateway.http"
CLI_MODULES: tuple[str, ...] = (  # roles that add `kitting` commands
    "agents.extractor.cli",
    "agents.coordinator.select_cli",
    "agents.providers.cli",
)


class RoleModule(Protocol):
    def register(self, app: KittingApp) -> None: ...


def load_roles() -> list[RoleModule]:
    """Import every role (which also declares its tables on the shared metadata)."""
    return [importlib.import_module(name) for name in ROLE_MODULES]


def build_app(settings: Settings, bootstrap_servers: str, database: Database | None = None) -> KittingApp:
    app = KittingApp(settings, bootstrap_servers, database or Database(settings.database_url))
    for role in load_roles():
        role.register(app)
    return app


def create_http_app(settings: Settings, bootstrap_servers: str) -> Any:
    """The gateway's FastAPI app."""
    factory = importlib.import_module(HTTP_APP_MODULE).create_app
    return factory(settings, bootstrap_servers)


def add_role_commands(cli: Any) -> None:
    """Let roles add their own commands (e.g. `kitting extract`) to the `kitting` CLI."""
    for name in CLI_MODULES:
        importlib.import_module(name).register(cli)
