"""Provider agents: the webhook bridge, and the reference shops, courier and accounting agent."""

from sqlalchemy.exc import IntegrityError

from agents.providers.accounting import ReferenceAccounting
from agents.providers.courier import ReferenceCourier
from agents.providers.reference import ACCOUNTING, COURIER, reference_providers
from agents.providers.reference_shops import REFERENCE_SHOPS, catalog_of
from agents.providers.registry import ensure_registered
from agents.providers.shop import ReferenceShop
from agents.providers.webhook import WebhookBridge
from streams.app import KittingApp
from streams.persistence import Database
from streams.topics import Topic


def register(app: KittingApp) -> None:
    bridge = WebhookBridge(app.database, timeout_s=app.settings.webhook_timeout_s)
    for topic, consumer in ((Topic.QUOTE_REQUESTED, "quotes"), (Topic.ORDER_PLACED, "orders")):
        app.consume(
            topic, f"webhook-bridge.{consumer}", bridge.publish, when=bridge.is_webhook, prepare=bridge.call
        )
    if not app.settings.reference_providers:
        return
    register_reference_providers(app.database)
    for profile in REFERENCE_SHOPS:
        name = f"provider.{profile.provider_id}"
        shop = ReferenceShop(profile, catalog_of(profile.provider_id))
        app.consume(Topic.QUOTE_REQUESTED, f"{name}.quotes", shop.on_quote_requested, when=shop.is_mine)
        app.consume(Topic.ORDER_PLACED, f"{name}.orders", shop.on_order_placed, when=shop.is_mine)
        app.consume(
            Topic.DELIVERY_REQUESTED, f"{name}.deliveries", shop.on_delivery_requested, when=shop.is_mine
        )
    courier = ReferenceCourier(COURIER)
    app.consume(
        Topic.DELIVERY_REQUESTED, f"provider.{COURIER.provider_id}", courier.on_delivery_requested,
        when=courier.is_mine,
    )  # fmt: skip
    accounting = ReferenceAccounting(ACCOUNTING)
    app.consume(
        Topic.SETTLEMENT_REQUESTED, f"provider.{ACCOUNTING.provider_id}", accounting.on_settlement_requested
    )


def register_reference_providers(database: Database) -> None:
    """Add the missing reference providers to the registry; two workers starting at once may race."""
    try:
        with database.session() as session:
            ensure_registered(session, reference_providers())
    except IntegrityError:
        with database.session() as session:
            ensure_registered(session, reference_providers())
