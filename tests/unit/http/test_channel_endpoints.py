"""Jobs by fax, e-mail and text through the HTTP channels, taken by the real extractor on an in-memory
bus: a scanned shopping list (generated here) becomes a basket with the right components; an
unreadable fax becomes a failed basket with the reason; each job records its channel and origin."""

from __future__ import annotations

import shutil
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agents.baskets.store import Basket
from agents.http.app import create_app
from streams.codec import encode_key
from streams.persistence import Database
from streams.settings import Settings
from tests.fakes import TEST_HOSTS, TEST_VAULT_KEY, InMemoryBus, RecordingPublisher
from tests.faxes import blank_fax, fax_pdf, fax_tiff

SHOPPING_LIST = [
    "Shopping list - lentil curry",
    "2 onions",
    "400 g red lentils",
    "1 tin chopped tomatoes",
    "3 cloves garlic",
    "Tools:",
    "1 wooden spoon",
]
ADMIN = {"Authorization": "Bearer s3cret"}
needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="tesseract is not installed: `make install` installs it"
)


class Channels:
    def __init__(self, database: Database) -> None:
        settings = Settings(
            database_url=database.url,
            vault_key=TEST_VAULT_KEY,
            admin_token="s3cret",
            allowed_hosts=TEST_HOSTS,
        )
        self.publisher = RecordingPublisher()
        self.client = TestClient(create_app(settings, publisher=self.publisher))
        self.bus = InMemoryBus(database, settings).register_roles()
        self.database = database

    def post(self, path: str, **kwargs: Any) -> dict[str, Any]:
        answer = self.client.post(path, headers=ADMIN | kwargs.pop("headers", {}), **kwargs)
        assert answer.status_code == 202, answer.text
        sent, self.publisher.sent = self.publisher.sent, []
        for topic, key, value in sent:
            self.bus.publish(topic, encode_key(key), value)
        body: dict[str, Any] = answer.json()
        return body

    def basket(self, basket_id: str) -> Basket:
        with self.database.session() as session:
            basket = session.get(Basket, basket_id)
            assert basket is not None
            session.expunge(basket)
            return basket

    def components(self, basket_id: str) -> list[dict[str, Any]]:
        state = self.client.get(
            f"/v1/terminal/baskets/{basket_id}", params={"token": self.last_token(basket_id)}
        ).json()
        components: list[dict[str, Any]] = state["method"]["components"]
        return components

    def last_token(self, basket_id: str) -> str:
        from agents.privacy.keys import decode_key
        from agents.privacy.vault import Vault

        return Vault(decode_key(TEST_VAULT_KEY, "test")).basket_token(basket_id)


@pytest.fixture
def channels(database: Database) -> Channels:
    return Channels(database)


def names_and_amounts(components: list[dict[str, Any]]) -> dict[str, tuple[str | None, str]]:
    return {
        c["name"].lower(): ((c["quantity"] or {}).get("amount"), c["kind"]) for c in components
    }  # fmt: skip


@needs_tesseract
@pytest.mark.parametrize(
    ("name", "data"), [("list.tif", fax_tiff(SHOPPING_LIST)), ("list.pdf", fax_pdf(SHOPPING_LIST))]
)
def test_a_scanned_shopping_list_fax_becomes_a_job_with_the_right_components(
    channels: Channels, name: str, data: bytes
) -> None:
    answer = channels.post("/v1/channels/fax", files={"file": (name, data, "application/octet-stream")})
    assert answer["channel"] == "fax" and answer["unreadable"] is None
    basket = channels.basket(answer["basket_id"])
    assert basket.status == "extracted"
    assert basket.channel == "fax" and basket.origin and name in basket.origin
    found = names_and_amounts(channels.components(answer["basket_id"]))
    assert len(found) == 5
    by_word = {word: next(v for k, v in found.items() if word in k) for word in
               ("onion", "lentil", "tomato", "garlic", "spoon")}  # fmt: skip
    assert by_word["lentil"] == ("400", "ingredient")
    assert by_word["onion"][0] == "2" and by_word["garlic"][0] == "3"
    assert by_word["spoon"][1] == "tool"


@needs_tesseract
def test_an_unreadable_fax_becomes_a_failed_job_with_the_reason(channels: Channels) -> None:
    answer = channels.post("/v1/channels/fax", files={"file": ("blank.tif", blank_fax(), "image/tiff")})
    assert answer["unreadable"]
    basket = channels.basket(answer["basket_id"])
    assert basket.status == "failed"
    assert basket.reason and "fax could not be read" in basket.reason and "no text" in basket.reason


def test_an_e_mail_and_a_typed_list_become_jobs(channels: Channels) -> None:
    message = EmailMessage()
    message["From"] = "Sam Sender <sam@example.org>"
    message["To"] = "jobs@kitting.example"
    message["Subject"] = "Shelf"
    message["Message-ID"] = "<shelf-1@example.org>"
    message.set_content("Please get me:\n- 8 wall plugs\n- 1 spirit level\n\n-- \nSam\n")
    answer = channels.post(
        "/v1/channels/email", content=message.as_bytes(), headers={"Content-Type": "message/rfc822"}
    )
    assert answer["channel"] == "email" and "shelf-1@example.org" in (answer["origin"] or "")
    assert channels.basket(answer["basket_id"]).status == "extracted"
    assert "sam" not in str(channels.basket(answer["basket_id"]).origin).split("@")[0].lower()

    typed = channels.post(
        "/v1/channels/text", content="3 eggs\n250 g flour\n", headers={"Content-Type": "text/plain"}
    )
    names = [c["name"].lower() for c in channels.components(typed["basket_id"])]
    assert any("egg" in n for n in names) and any("flour" in n for n in names)


def test_channels_need_the_admin_token_and_a_body(channels: Channels) -> None:
    refused = channels.client.post("/v1/channels/text", content=b"3 eggs")
    assert refused.status_code == 401
    empty = channels.client.post("/v1/channels/text", content=b"", headers=ADMIN)
    assert empty.status_code == 422 and "empty" in empty.json()["detail"]
    latin1 = channels.client.post("/v1/channels/text", content="caf\xe9".encode("latin-1"), headers=ADMIN)
    assert latin1.status_code == 422 and "UTF-8" in latin1.json()["detail"]
    assert channels.publisher.sent == []
