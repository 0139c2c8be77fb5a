"""Router agent: reads components-extracted."""

from datetime import timedelta

from agents.router.handlers import Router
from streams.app import KittingApp
from streams.topics import Topic


def register(app: KittingApp) -> None:
    router = Router(timedelta(seconds=app.settings.quote_deadline_s))
    app.consume(Topic.COMPONENTS_EXTRACTED, "router", router.on_components_extracted)
