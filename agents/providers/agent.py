"""Provider agents: the webhook bridge (providers reached over HTTPS), and the provider adapters this
worker hosts (the reference providers, when the composition root hands them over), each exactly as it
would run in its own process."""

from collections.abc import Iterable

from agents.providers.hosting import host
from agents.providers.sdk import ProviderAdapter
from agents.providers.webhook import WebhookBridge
from agents.registry.parties import relay_signing_key
from streams.app import RoleHost
from streams.topics import Topic


def register(app: RoleHost, secret: bytes, hosted: Iterable[tuple[str, ProviderAdapter]] = ()) -> None:
    """The webhook bridge (signing what webhooks answer with a key derived from `secret`, the vault key),
    then one consumer per topic of each hosted adapter (named `name.<topic>`)."""
    bridge = WebhookBridge(
        app.database, secret=secret, relay_key=relay_signing_key(secret), spawn=app.spawn,
        run_job=app.pipeline.run_job, timeout_s=app.settings.webhook_timeout_s,
        deadline_s=app.settings.webhook_deadline_s,
    )  # fmt: skip
    addressed = (
        (Topic.QUOTE_REQUESTED, "quotes"), (Topic.ORDER_PLACED, "orders"),
        (Topic.DELIVERY_REQUESTED, "deliveries"), (Topic.ORDER_CANCELLED, "cancellations"),
    )  # fmt: skip
    for topic, consumer in addressed:
        app.consume(
            topic, f"webhook-bridge.{consumer}", None, when=bridge.is_webhook, prepare=bridge.dispatch
        )
    for name, adapter in hosted:
        host(app, adapter, name, pace=app.settings.demo_pace)
