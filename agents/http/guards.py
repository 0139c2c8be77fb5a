"""What every HTTP request is checked for before a route sees it, and the operator's token.

- The Host header must be one the service answers to (`KITTING_ALLOWED_HOSTS`): a hostile page that
  rebinds its own name to 127.0.0.1 cannot make a browser read the terminal's answers.
- A request that changes something must not come from another site: a browser says so in
  `Sec-Fetch-Site` and `Origin`. The collector is the one exception: upstream sites post to it from
  their pages, with their key and from the origins they registered.
- The operator's routes take the admin token, always (no loopback exception, constant-time compare):
  `KITTING_ADMIN_TOKEN`, or `var/admin.token`, made on first use.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from agents.privacy.keys import kept_secret
from streams.settings import Settings

ADMIN_TOKEN_FILE = "admin.token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CROSS_SITE_ALLOWED = ("/v1/collect/",)  # upstream sites post here from their own pages, with their key


def admin_token_path(settings: Settings) -> Path:
    return Path(settings.var_dir) / ADMIN_TOKEN_FILE


def admin_token(settings: Settings) -> str:
    """The operator's token: KITTING_ADMIN_TOKEN, else the one kept in var/admin.token (made once)."""
    if settings.admin_token:
        return settings.admin_token
    return kept_secret(admin_token_path(settings), lambda: "kt_admin_" + secrets.token_urlsafe(32))


def token_fits(given: str | None, expected: str) -> bool:
    """Whether an Authorization header carries the token, compared in constant time."""
    if not given or not given.startswith("Bearer "):
        return False
    return hmac.compare_digest(given.removeprefix("Bearer ").encode(), expected.encode())


def allowed_hosts(settings: Settings) -> list[str]:
    """KITTING_ALLOWED_HOSTS, and the name in KITTING_HTTP_PUBLIC_URL (the workers reach it by that)."""
    hosts = [host.strip() for host in settings.allowed_hosts.split(",") if host.strip()]
    public = urlsplit(settings.http_public_url).hostname if settings.http_public_url else None
    return [*hosts, public] if public and public not in hosts else hosts


class SameSiteWrites:
    """Refuses a request that changes something when a browser says it comes from another site."""

    def __init__(self, app: ASGIApp, hosts: list[str], public_url: str | None = None) -> None:
        self.app = app
        self.hosts = set(hosts)
        self.public = {urlsplit(public_url).netloc.lower()} if public_url else set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            problem = self.problem(request)
            if problem is not None:
                response: Response = JSONResponse({"detail": problem}, status_code=403)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def own(self, origin: str, host: str) -> bool:
        """Whether `origin` is Kitting's own: the very host and port the request came to (another web
        app on the same machine, at another port, is not), or the public URL's."""
        try:
            parts = urlsplit(origin)
        except ValueError:
            return False
        netloc = parts.netloc.lower()
        return (parts.hostname or "") in self.hosts and (netloc == host.lower() or netloc in self.public)

    def problem(self, request: Request) -> str | None:
        if request.method in SAFE_METHODS or request.url.path.startswith(CROSS_SITE_ALLOWED):
            return None
        if request.headers.get("sec-fetch-site") == "cross-site":
            return "a request from another site cannot change anything here: use Kitting's own pages"
        origin = request.headers.get("origin")
        if origin and origin != "null" and not self.own(origin, request.headers.get("host", "")):
            return f"requests from {origin} cannot change anything here: use Kitting's own pages"
        if origin == "null":
            return "a request from an opaque origin cannot change anything here: use Kitting's own pages"
        return None
