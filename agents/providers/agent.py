"""Provider agents: the webhook bridge, and the reference providers hosted as provider adapters (the
shops, their own fleets and counters, a courier and an accounting agent), each as it would run in its
own process."""

from sqlalchemy.exc import IntegrityError

from agents.privacy.keys import vault_key
from agents.providers.hosting import host
from agents.providers.webhook import WebhookBridge
from agents.reference.accounting import ReferenceAccounting
from agents.reference.carriers import OwnFleet, ReferenceCourier, ShopCounter
from agents.reference.catalog import REFERENCE_SHOPS, catalog_of
from agents.reference.entries import ACCOUNTING, COURIER, reference_private_key, reference_providers
from agents.reference.faults import parse_faults
from agents.reference.shop import ReferenceShop
from agents.registry.providers import ensure_registered
from schemas.events import DeliveryMethod
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
    secret = vault_key(app.settings)
    faults = parse_faults(app.settings.reference_faults)
    register_reference_providers(app.database, secret)
    for profile in REFERENCE_SHOPS:
        name = f"provider.{profile.provider_id}"
        key = reference_private_key(profile.provider_id, secret)
        host(app, ReferenceShop(profile, catalog_of(profile.provider_id), faults).adapter(), name)
        methods = {terms.method for terms in profile.delivery}
        if DeliveryMethod.own in methods:
            host(app, OwnFleet(profile, key, faults).adapter(), f"{name}.fleet")
        if DeliveryMethod.pickup in methods:
            host(app, ShopCounter(profile, key, faults).adapter(), f"{name}.counter")
    courier_key = reference_private_key(COURIER.provider_id, secret)
    host(app, ReferenceCourier(COURIER, courier_key, faults).adapter(), f"provider.{COURIER.provider_id}")
    host(app, ReferenceAccounting(ACCOUNTING, app.database).adapter(), f"provider.{ACCOUNTING.provider_id}")


def register_reference_providers(database: Database, secret: bytes) -> None:
    """Add the missing reference providers to the registry and refresh their public keys; two workers
    starting at once may race."""
    try:
        with database.session() as session:
            ensure_registered(session, reference_providers(secret))
    except IntegrityError:
        with database.session() as session:
            ensure_registered(session, reference_providers(secret))
