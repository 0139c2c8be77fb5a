"""Keyed state that a role aggregates events into: a Faust windowed table in the worker, a dict in tests.

Roles see only the `KeyedState` protocol (get, put, local items), never Faust. The Faust table is
windowed by a timestamp that the role derives from the key (e.g. a quote round's opening time carried
in its UUIDv7 id), so every event of one key lands in the same window however late it arrives, and old
windows expire by themselves. Writes happen only while an agent handles an event (the changelog
partition is the event's); reads and scans work anywhere, e.g. in a timer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, Protocol

from streams.topics import Topic

Value = dict[str, Any]
KeyTime = Callable[[str], float | None]
"""The window timestamp (Unix seconds) of a key, or None to use the current time."""


class KeyedState(Protocol):
    def get(self, key: str) -> Value | None: ...

    def put(self, key: str, value: Value) -> None: ...

    def local_items(self) -> Iterator[tuple[str, Value]]:
        """The latest value of every live key whose partition this worker owns."""
        ...


class MemoryState:
    """The in-memory stand-in used by tests and the in-memory bus."""

    def __init__(self) -> None:
        self.data: dict[str, Value] = {}

    def get(self, key: str) -> Value | None:
        return self.data.get(key)

    def put(self, key: str, value: Value) -> None:
        self.data[key] = value

    def local_items(self) -> Iterator[tuple[str, Value]]:
        yield from list(self.data.items())


class FaustWindowedState:
    """A tumbling-window Faust table; its changelog topic comes from the topic registry."""

    def __init__(
        self,
        faust_app: Any,
        changelog: Topic,
        source: Topic,
        key_time: KeyTime,
        window: timedelta,
        expires: timedelta,
        partitions: int,
    ) -> None:
        self._app = faust_app
        self._source = source.topic_name
        self._key_time = key_time
        # no key or value type: a window key is a (key, (start, end)) pair and the value a plain dict, and
        # Faust's typed decoding (Model.from_data) would fail on both when it recovers the table
        changelog_topic = faust_app.topic(
            changelog.topic_name,
            partitions=partitions,
            key_type=None,
            value_type=None,
            key_serializer="json",
            value_serializer="json",
            internal=True,
        )
        # the table manager files the table under the changelog it has when it is made: give it the
        # registry's there (else Faust's own name is filed, the registry topic's records reach recovery as
        # an unknown table's, and it is never paused nor recovered), and again after tumbling(), which
        # resets it to Faust's own name
        table = faust_app.Table(
            changelog.topic_name.removesuffix("-changelog"),
            default=None,
            key_type=None,
            value_type=None,
            partitions=partitions,
            changelog_topic=changelog_topic,
        )
        self.table = table.tumbling(window, expires=expires)
        table.changelog_topic = changelog_topic

    def _at(self, key: str) -> Any:
        stamp = self._key_time(key)
        return self.table.relative_to(float(stamp if stamp is not None else time.time()))

    def get(self, key: str) -> Value | None:
        try:
            value: Value = self._at(key)[key].value()
        except KeyError:
            return None
        return value

    def put(self, key: str, value: Value) -> None:
        self._at(key)[key] = value

    def local_items(self) -> Iterator[tuple[str, Value]]:
        actives = {tp.partition for tp in self._app.assignor.assigned_actives() if tp.topic == self._source}
        latest: dict[str, tuple[float, Value]] = {}
        for stored_key, value in list(self.table.table.data.items()):
            key, (start, _end) = stored_key
            if value is None or value.get("partition") not in actives:
                continue
            if key not in latest or latest[key][0] < start:
                latest[key] = (start, value)
        for key, (_start, value) in latest.items():
            yield key, value
