"""The composition root: settings -> database -> Faust app -> roles. Tests build their own pieces."""

from __future__ import annotations

import importlib
from typing import Any, Protocol

from streams.app import KittingApp
from streams.persistence import Database
from streams.settings import Settings

# The roles, found by name so that streams/ never imports agents/ (dependencies point one way).
ROLE_MODULES: tuple[str, ...] = (
    "agents.extraction.agent",
    "agents.quoting.agent",
    "agents.ordering.agent",
    "agents.providers.agent",
)

MODEL_MODULES: tuple[str, ...] = ("agents.http.sites",)  # tables of no role (the HTTP side's)
HTTP_APP_MODULE = "agents.http.app"
DEMO_CUSTOMER_MODULE = "agents.privacy.demo_customer"
VAULT_KEYS_MODULE = "agents.privacy.keys"
CLI_MODULES: tuple[str, ...] = (  # roles that add `kitting` commands
    "agents.cli.extract",
    "agents.cli.select",
    "agents.cli.providers",
    "agents.cli.privacy",
    "agents.cli.replay",
    "agents.cli.analytics",
    "agents.cli.sites",
)


class RoleModule(Protocol):
    def register(self, app: KittingApp) -> None: ...


def load_roles() -> list[RoleModule]:
    """Import every role (which also declares its tables on the shared metadata), and the tables of
    no role."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
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


def openapi_document() -> dict[str, Any]:
    """The gateway's OpenAPI document."""
    document: dict[str, Any] = importlib.import_module(HTTP_APP_MODULE).openapi_document()
    return document


def add_role_commands(cli: Any) -> None:
    """Let roles add their own commands (e.g. `kitting extract`) to the `kitting` CLI."""
    for name in CLI_MODULES:
        importlib.import_module(name).register(cli)


def seed_demo_customer(database_url: str, key: bytes) -> str:
    """Store the demo customer's contact data in the vault; returns its customer ref."""
    ref: str = importlib.import_module(DEMO_CUSTOMER_MODULE).seed_demo_customer(database_url, key)
    return ref


def vault_key_of(settings: Settings) -> bytes:
    """The key of the personal-data vault these settings name (KITTING_VAULT_KEY or var/vault.key)."""
    key: bytes = importlib.import_module(VAULT_KEYS_MODULE).vault_key(settings)
    return key
