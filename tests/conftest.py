from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.migrate import upgrade
from streams.persistence import Database

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database in a temporary folder."""
    url = f"sqlite:///{tmp_path / 'kitting.db'}"
    upgrade(url)
    db = Database(url)
    yield db
    db.engine.dispose()
