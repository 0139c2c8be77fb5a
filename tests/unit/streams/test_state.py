"""The windowed table's changelog is the registry's topic, and Faust's table manager knows it as the
table's changelog: otherwise the worker's own changelog writes come back to it as records of an unknown
table ("recovery unknown topic ...", then "Error in recovery ... 'offsets'"), Faust never pauses the
changelog after recovery, and a restarted worker never recovers the table from it."""

from __future__ import annotations

from datetime import timedelta

from streams.faust_transport import FaustApp
from streams.state import FaustWindowedState
from streams.topics import Topic


def test_the_table_manager_knows_the_registry_changelog_as_the_tables() -> None:
    app = FaustApp("state-test", autodiscover=False, web_enabled=False, topic_allow_declare=False)
    changelog = next(topic for topic in Topic if topic.spec.changelog)
    source = Topic.QUOTE_OFFERED
    state = FaustWindowedState(
        app, changelog, source, lambda key: None, timedelta(minutes=5), timedelta(hours=1), partitions=6
    )

    assert state.table.table.changelog_topic.get_topic_name() == changelog.topic_name
    assert app.tables.changelog_topics == {changelog.topic_name}
    assert state.table.table.changelog_topic.partitions == 6
