"""Reference provider adapters as agents: two shops, a courier and an accounting agent."""

from agents.providers.accounting import ReferenceAccounting
from agents.providers.catalog import CATALOGS
from agents.providers.courier import ReferenceCourier
from agents.providers.registry import REFERENCE_PROVIDERS, ProviderKind
from agents.providers.shop import ReferenceShop
from streams.app import KittingApp
from streams.topics import Topic


def register(app: KittingApp) -> None:
    if not app.settings.reference_providers:
        return
    for info in REFERENCE_PROVIDERS:
        name = f"provider.{info.provider_id}"
        if info.kind is ProviderKind.shop:
            shop = ReferenceShop(info, CATALOGS[info.provider_id])
            app.consume(Topic.QUOTE_REQUESTED, f"{name}.quotes", shop.on_quote_requested, when=shop.is_mine)
            app.consume(Topic.ORDER_PLACED, f"{name}.orders", shop.on_order_placed, when=shop.is_mine)
            app.consume(
                Topic.DELIVERY_REQUESTED, f"{name}.deliveries", shop.on_delivery_requested, when=shop.is_mine
            )
        elif info.kind is ProviderKind.courier:
            courier = ReferenceCourier(info)
            app.consume(Topic.DELIVERY_REQUESTED, name, courier.on_delivery_requested, when=courier.is_mine)
        else:
            app.consume(Topic.SETTLEMENT_REQUESTED, name, ReferenceAccounting(info).on_settlement_requested)
