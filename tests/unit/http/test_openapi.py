"""The HTTP API against its own OpenAPI document: the committed document is current, and schemathesis
sends generated requests (valid and not) to every operation: no 5xx, and every answer matches the
document (status codes, content types, headers, bodies).

Three of schemathesis' checks are left out, each for a stated reason: `positive_data_acceptance`
(the API refuses schema-valid requests on purpose when they make no sense: an unknown basket, a
component the basket lacks, a payment that does not fit the fulfilment; each a 4xx with the reason),
`negative_data_rejection` (pydantic's lax mode takes 0 for false and "1" for 1, as the events do) and
`allow_header_conformance` (FastAPI answers 405 with the methods of the first route of a path only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.schemas import OpenApiSchema

from agents.http.app import create_app, openapi_document
from streams.migrate import upgrade
from streams.settings import Settings
from tests.conftest import ROOT
from tests.fakes import TEST_HOSTS, TEST_VAULT_KEY, RecordingPublisher


def test_the_committed_openapi_document_is_current() -> None:
    committed = json.loads((ROOT / "docs" / "openapi.json").read_text())
    assert committed == openapi_document(), "run `kitting openapi > docs/openapi.json` and commit it"


def _schema() -> OpenApiSchema:
    folder = Path(__import__("tempfile").mkdtemp(prefix="kitting-openapi-"))
    url = f"sqlite:///{folder / 'api.db'}"
    upgrade(url)
    app = create_app(
        Settings(database_url=url, vault_key=TEST_VAULT_KEY, allowed_hosts=TEST_HOSTS),
        publisher=RecordingPublisher(),
    )
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = _schema()
EXCLUDED = [
    schemathesis.checks.positive_data_acceptance,
    schemathesis.checks.negative_data_rejection,
    schemathesis.checks.allow_header_conformance,
]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case: schemathesis.Case) -> None:
    case.call_and_validate(excluded_checks=EXCLUDED)
