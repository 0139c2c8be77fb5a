"""Baskets over the API and who may use them: quoting for a person takes that person's token (their
customer reference alone is refused, and nothing is published), the server chooses basket and event
ids (a client's own are not taken, so nobody can make another's request look like a repeat), and a
basket is read with its own token or the operator's."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agents.baskets.start import basket_event
from agents.http.app import create_app
from agents.privacy.vault import Vault
from schemas.events import MethodBrowsed, QuotePreferences
from streams.codec import decode
from streams.migrate import upgrade
from streams.settings import Settings
from streams.topics import Topic
from tests.fakes import TEST_HOSTS, TEST_VAULT_KEY, RecordingPublisher

PERSON = {"name": "Ada Api", "street_address": "3 Route Road", "phone": "+44 20 0000 0001"}
PAGE = {"url": "https://recipes.example/pancakes", "html": "<ul><li>2 eggs</li></ul>"}


class Api:
    def __init__(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'baskets.db'}"
        upgrade(url)
        settings = Settings(
            database_url=url, vault_key=TEST_VAULT_KEY, allowed_hosts=TEST_HOSTS, var_dir=tmp_path / "var",
            admin_token="kt_admin_test",
        )  # fmt: skip
        self.publisher = RecordingPublisher()
        self.client = TestClient(create_app(settings, publisher=self.publisher))
        self.operator = {"Authorization": "Bearer kt_admin_test"}
        self.vault = Vault(base64.b64decode(TEST_VAULT_KEY))

    def customer(self, person: dict[str, Any] = PERSON) -> tuple[str, str]:
        made = self.client.post("/v1/customers", json=person, headers=self.operator)
        assert made.status_code == 201, made.text
        return made.json()["customer_ref"], made.json()["customer_token"]

    def published(self) -> list[MethodBrowsed]:
        events = [decode(value, topic) for topic, _, value in self.publisher.sent]
        return [e.data for e in events if isinstance(e.data, MethodBrowsed)]


@pytest.fixture
def api(tmp_path: Path) -> Api:
    return Api(tmp_path)


def quote(ref: str) -> dict[str, str]:
    return {"customer_ref": ref, "delivery": "pickup", "payment": "pay-at-pickup"}


def test_ordering_in_a_persons_name_takes_their_token_not_their_reference(api: Api) -> None:
    ref, token = api.customer()
    _, other_token = api.customer({**PERSON, "name": "Eve Other"})
    for headers in ({}, {"X-Kitting-Customer-Token": other_token}, {"X-Kitting-Customer-Token": ref}):
        refused = api.client.post("/v1/baskets", json={**PAGE, "quote": quote(ref)}, headers=headers)
        assert refused.status_code == 401 and "customer token" in refused.json()["detail"]
    assert api.publisher.sent == []
    taken = api.client.post(
        "/v1/baskets", json={**PAGE, "quote": quote(ref)}, headers={"X-Kitting-Customer-Token": token}
    )
    assert taken.status_code == 202, taken.text
    # on the bus the reference is concealed for this basket: it opens with the vault key there only
    [job] = [job for job in api.published() if job.quote]
    assert job.quote is not None and ref not in job.quote.customer_ref
    assert api.vault.reveal(job.quote.customer_ref, job.basket_id) == ref
    # a page alone (no person, nothing bought) needs nobody's token
    assert api.client.post("/v1/baskets", json=PAGE).status_code == 202


def test_a_clients_own_event_is_taken_under_ids_the_server_chooses(api: Api) -> None:
    ref, token = api.customer()
    job = MethodBrowsed(basket_id="victims-basket", **PAGE, quote=QuotePreferences(**quote(ref)))
    raw = basket_event(job, source="urn:someone", event_id="guessed-id").value
    refused = api.client.post("/v1/events/method-browsed", content=raw)
    assert refused.status_code == 401 and api.publisher.sent == []
    first = api.client.post(
        "/v1/events/method-browsed", content=raw, headers={"X-Kitting-Customer-Token": token}
    )
    again = api.client.post(
        "/v1/events/method-browsed", content=raw, headers={"X-Kitting-Customer-Token": token}
    )
    assert first.status_code == again.status_code == 202
    answers = [first.json(), again.json()]
    assert {a["basket_id"] for a in answers}.isdisjoint({"victims-basket"})
    assert {a["id"] for a in answers}.isdisjoint({"guessed-id"}) and answers[0]["id"] != answers[1]["id"]
    envelopes = [decode(value, Topic.METHOD_BROWSED) for _, _, value in api.publisher.sent]
    assert [e.id for e in envelopes] == [a["id"] for a in answers]
    assert all(e.source != "urn:someone" for e in envelopes)
    wrong = json.dumps({**json.loads(raw), "type": "dev.kitting.quote.offered.v1"}).encode()
    assert api.client.post("/v1/events/method-browsed", content=wrong).status_code == 422
    assert len(api.publisher.sent) == 2


def test_a_basket_is_read_with_its_token_or_the_operators(api: Api) -> None:
    started = api.client.post("/v1/baskets", json=PAGE).json()
    basket, token = started["basket_id"], started["token"]
    other = api.client.post("/v1/baskets", json=PAGE).json()["token"]
    for path in (f"/v1/baskets/{basket}", f"/v1/baskets/{basket}/offers", f"/v1/baskets/{basket}/orders"):
        assert api.client.get(path).status_code == 403
        assert api.client.get(path, params={"token": other}).status_code == 403
        assert api.client.get(path, headers={"Authorization": "Bearer nope"}).status_code == 403
        # allowed: not found yet (the worker has not seen it), but not refused
        assert api.client.get(path, params={"token": token}).status_code == 404
        assert api.client.get(path, headers=api.operator).status_code == 404


def test_a_sites_server_stores_its_signed_in_user_and_gets_their_token(api: Api, tmp_path: Path) -> None:
    from agents.http.sites import create_site
    from streams.persistence import Database

    database = Database(f"sqlite:///{tmp_path / 'baskets.db'}")
    with database.session() as session:
        key = create_site(session, "blog", "Blog", ["https://blog.example"])
    for headers in ({}, {"X-Kitting-Site-Key": "ks_wrong"}, {"Authorization": "Bearer nope"}):
        refused = api.client.post("/v1/customers", json=PERSON, headers=headers)
        assert refused.status_code == 401 and "site's key" in refused.json()["detail"]
    stored = api.client.post("/v1/customers", json=PERSON, headers={"X-Kitting-Site-Key": key})
    assert stored.status_code == 201, stored.text
    ref, token = stored.json()["customer_ref"], stored.json()["customer_token"]
    assert api.vault.customer_token_fits(ref, token)
    # a browser on another site cannot do it, even with the key
    cross = api.client.post(
        "/v1/customers", json=PERSON, headers={"X-Kitting-Site-Key": key, "Origin": "https://evil.example"}
    )
    assert cross.status_code == 403


def test_an_upstream_links_claim_is_traded_for_the_token_once(api: Api) -> None:
    from agents.http.claims import claim_code

    claim = claim_code(base64.b64decode(TEST_VAULT_KEY), "b-up")
    wrong = api.client.post("/v1/terminal/claim", json={"basket_id": "b-up", "claim": "kl_guess"})
    assert wrong.status_code == 409 and "does not fit" in wrong.json()["detail"]
    first = api.client.post("/v1/terminal/claim", json={"basket_id": "b-up", "claim": claim})
    assert first.status_code == 200 and api.vault.basket_token_fits("b-up", first.json()["token"])
    again = api.client.post("/v1/terminal/claim", json={"basket_id": "b-up", "claim": claim})
    assert again.status_code == 409 and "opened already" in again.json()["detail"]
