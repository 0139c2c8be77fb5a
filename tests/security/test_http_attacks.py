"""Attacks on the HTTP service of a real `kitting up`: a stranger at the operator's routes, a page of
another site writing through the visitor's browser, a rebound host name, a person ordering for
another, a reader without the basket's token, a client's own ids, bodies that never end, and more
live streams and basket starts than one client is allowed.

Every probe shows (1) a clear 4xx, (2) that nothing was published (no job on `method-browsed`, and no
record of any topic carries the probe's marker) or stored (the people kept, the registry, the
sites), and (3) that the service still serves: /health answers and a basket is read with its token.

Clients: the service counts a client by its address, so probes that spend a client's allowance (live
streams, basket starts) come from loopback addresses of their own (127.0.0.x); the rest come from
127.0.0.1, whose basket starts this module keeps well under the 20 it is allowed at once.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from email.message import EmailMessage
from typing import Any

import pytest

from agents.cli.demo import demo_page
from schemas.envelope import new_envelope
from schemas.events import MethodBrowsed, QuotePreferences
from schemas.vocabulary import DeliveryMethod, PaymentMethod
from streams.codec import encode
from streams.topics import Topic
from tests.security.harness import (
    PERSON,
    TINY_PAGE,
    WEB,
    Basket,
    Kitting,
    LiveStream,
    document,
    endless_upload,
    on,
    raw_request,
    sources,
    wait_for,
)

HOOK = {  # a webhook provider the operator registered switched off: refused probes must not switch it on
    "provider_id": "hook-a", "name": "Hook A", "categories": ["grocery"], "address": "https://hooks.example/a",
    "delivery_methods": ["pickup"], "payment_methods": ["pay-at-pickup"], "enabled": False,
}  # fmt: skip
FIFTY_MB = 50 * 1024 * 1024


def marker() -> str:
    return f"probe-{uuid.uuid4().hex[:12]}"


def page_job(mark: str, **extra: Any) -> dict[str, Any]:
    return {"url": f"https://recipes.example/{mark}", "html": TINY_PAGE, **extra}


def quote_of(ref: str) -> dict[str, str]:
    return {"customer_ref": ref, "delivery": "pickup", "payment": "pay-at-pickup"}


def browsed_event(mark: str, basket_id: str | None = None, ref: str | None = None) -> bytes:
    """A method-browsed CloudEvent as a client would post it, with its own basket and event ids."""
    basket_id = basket_id or str(uuid.uuid4())
    prefs = None
    if ref is not None:
        prefs = QuotePreferences(
            customer_ref=ref, delivery=DeliveryMethod.pickup, payment=PaymentMethod.pay_at_pickup
        )
    job = MethodBrowsed(
        basket_id=basket_id, url=f"https://recipes.example/{mark}", html=TINY_PAGE, quote=prefs
    )
    return encode(new_envelope(job, source="urn:probe:client", subject=basket_id))


def email_of(mark: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "probe@evil.example", "jobs@kitting.example", mark
    message.set_content(f"2 onions\n1 wooden spoon\n{mark}")
    return bytes(message)


@pytest.fixture(scope="module")
def victim(kitting: Kitting) -> Basket:
    """Somebody's basket: started from a page, no quote, so it stays `extracted` (and streams live)."""
    answer = WEB.post(
        kitting.url("/v1/baskets"), json={"url": "https://recipes.example/victim", "html": demo_page()}
    )
    assert answer.status_code == 202, answer.text
    basket = Basket(answer.json()["basket_id"], answer.json()["token"])
    wait_for(
        "the victim's basket extracted", lambda: (kitting.basket(basket) or {}).get("status") == "extracted"
    )
    return basket


@pytest.fixture(scope="module")
def people(kitting: Kitting) -> dict[str, tuple[str, str]]:
    """Two people, each with (customer_ref, customer_token)."""
    return {"alice": kitting.add_customer(), "bob": kitting.add_customer()}


@pytest.fixture(scope="module")
def hook(kitting: Kitting) -> str:
    answer = WEB.post(kitting.url("/v1/providers"), json=HOOK, headers=kitting.operator)
    assert answer.status_code == 201, answer.text
    assert answer.json()["enabled"] is False and answer.json()["webhook_secret"]
    return str(HOOK["provider_id"])


# --- the operator's routes -------------------------------------------------------------------------


def operator_calls(mark: str) -> dict[str, dict[str, Any]]:
    """Every operator route, with what a stranger would send it."""
    intruder = {"provider_id": f"intruder-{mark}", "name": mark, "categories": ["grocery"]}
    return {
        "/v1/customers": {"json": {**PERSON, "name": mark}},
        "/v1/providers": {"json": intruder},
        "/v1/providers/market-hall/disable": {},
        "/v1/providers/hook-a/enable": {},
        "/v1/providers/hook-a/rotate-secret": {},
        "/v1/channels/text": {
            "content": f"2 onions\n{mark}".encode(),
            "headers": {"content-type": "text/plain"},
        },
        "/v1/channels/email": {"content": email_of(mark), "headers": {"content-type": "message/rfc822"}},
        "/v1/channels/fax": {"files": {"file": (f"{mark}.tif", b"II*\x00" + mark.encode(), "image/tiff")}},
    }


def wrong_credentials(
    kitting: Kitting, people: dict[str, tuple[str, str]], victim: Basket
) -> list[tuple[dict[str, str], dict[str, str]]]:
    """(headers, query) that are not the operator's token."""
    token = kitting.admin_token
    basic = base64.b64encode(f"admin:{token}".encode()).decode()
    return [
        ({}, {}),
        ({"Authorization": "Bearer wrong"}, {}),
        ({"Authorization": token}, {}),  # no scheme
        ({"Authorization": f"Bearer {token[:-1]}"}, {}),
        ({"Authorization": f"Bearer {token}x"}, {}),
        ({"Authorization": f"Basic {basic}"}, {}),
        ({"Authorization": f"Bearer {people['alice'][1]}"}, {}),  # a person's token
        ({"Authorization": f"Bearer {victim.token}"}, {}),  # a basket's token
        ({}, {"token": token}),  # in the query, not the header
        ({"Cookie": f"token={token}"}, {}),
    ]


@pytest.mark.parametrize(
    "route",
    [
        "/v1/customers", "/v1/providers", "/v1/providers/market-hall/disable", "/v1/providers/hook-a/enable",
        "/v1/providers/hook-a/rotate-secret", "/v1/channels/text", "/v1/channels/email", "/v1/channels/fax",
    ],
)  # fmt: skip
def test_an_operator_route_refuses_a_missing_or_wrong_token(
    kitting: Kitting, people: dict[str, tuple[str, str]], victim: Basket, hook: str, route: str
) -> None:
    mark = marker()
    call = operator_calls(mark)[route]
    before, bus = kitting.stored(), kitting.mark()
    for headers, query in wrong_credentials(kitting, people, victim):
        answer = WEB.post(
            kitting.url(route), params=query, timeout=30,
            **{**call, "headers": {**call.get("headers", {}), **headers}},
        )  # fmt: skip
        assert answer.status_code == 401, (headers, query, answer.text)
        assert "operator's token" in answer.json()["detail"]
    assert kitting.stored() == before
    kitting.assert_nothing_published(bus, mark)
    kitting.assert_still_serving()


def test_the_operators_token_still_opens_its_routes(kitting: Kitting) -> None:
    """The refusals above are for strangers only: the right token works (so they could fail)."""
    before = kitting.stored()
    ref, token = kitting.add_customer()
    assert ref and token.startswith("kc_")
    assert kitting.stored()["customers"] == before["customers"] + 1


def test_the_registry_shows_addresses_and_keys_to_the_operator_only(kitting: Kitting, hook: str) -> None:
    listed = WEB.get(kitting.url("/v1/providers")).json()
    one = WEB.get(kitting.url(f"/v1/providers/{hook}")).json()
    for entry in [*listed, one]:
        assert not {"address", "signing_key", "public_key", "webhook_secret"} & set(entry), entry
    as_operator = WEB.get(kitting.url(f"/v1/providers/{hook}"), headers=kitting.operator).json()
    assert as_operator["address"] == HOOK["address"]
    assert "webhook_secret" not in as_operator  # answered on registering and rotating only
    kitting.assert_still_serving()


# --- the Host allow-list ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:{port}",
        "127.0.0.1.evil.example:{port}",
        "localhost.evil.example",
        "127.0.0.2:{port}",
    ],
)
def test_a_host_name_the_service_does_not_answer_to_gets_400(
    kitting: Kitting, victim: Basket, host: str
) -> None:
    """A page that rebinds its own name to 127.0.0.1 reads nothing and changes nothing."""
    host = host.format(port=kitting.port)
    mark = marker()
    before, bus = kitting.stored(), kitting.mark()
    headers = {"Host": host}
    reads = [
        WEB.get(kitting.url("/health"), headers=headers),
        WEB.get(
            kitting.url(f"/v1/baskets/{victim.basket_id}"), params={"token": victim.token}, headers=headers
        ),
        WEB.get(kitting.url("/v1/providers"), headers={**headers, **kitting.operator}),
    ]
    writes = [
        WEB.post(
            kitting.url("/v1/terminal/open"), json={"url": f"https://recipes.example/{mark}"}, headers=headers
        ),
        WEB.post(
            kitting.url("/v1/customers"),
            json={**PERSON, "name": mark},
            headers={**headers, **kitting.operator},
        ),
        WEB.post(
            kitting.url("/v1/channels/text"), content=mark.encode(), headers={**headers, **kitting.operator}
        ),
    ]
    for answer in [*reads, *writes]:
        assert answer.status_code == 400, (answer.request.url, answer.text)
        assert victim.basket_id not in answer.text and "recipes.example" not in answer.text
    assert kitting.stored() == before
    kitting.assert_nothing_published(bus, mark)
    assert WEB.get(kitting.url("/health"), headers={"Host": f"localhost:{kitting.port}"}).status_code == 200
    kitting.assert_still_serving()


@pytest.mark.parametrize(
    "head", [b"GET /health HTTP/1.0\r\n\r\n", b"GET /health HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n"]
)
def test_a_request_without_a_host_gets_400(kitting: Kitting, head: bytes) -> None:
    assert raw_request(kitting, head).status == 400
    kitting.assert_still_serving()


# --- writes from another site ----------------------------------------------------------------------


CROSS_SITE = {
    "sec-fetch-site": {"Sec-Fetch-Site": "cross-site"},
    "foreign-origin": {"Origin": "https://evil.example"},
    "null-origin": {"Origin": "null"},
    "look-alike-origin": {"Origin": "http://127.0.0.1.evil.example"},
    "userinfo-origin": {"Origin": "http://localhost@evil.example"},
    "foreign-origin-same-port": {"Origin": "http://evil.example:{port}"},
    "cross-site-despite-own-origin": {"Sec-Fetch-Site": "cross-site", "Origin": "http://127.0.0.1:{port}"},
}


def cross_site_writes(kitting: Kitting, victim: Basket, mark: str) -> list[tuple[str, dict[str, Any]]]:
    """(path, request) of every kind of change a hostile page could make a browser send."""
    form = f"url=https%3A%2F%2Frecipes.example%2F{mark}&html=x"
    operator = kitting.operator
    token = {"token": victim.token}
    ask = {"contact": {**PERSON, "name": mark}, "delivery": "pickup", "payment": "pay-at-pickup"}
    return [
        ("/v1/terminal/open", {"json": {"url": f"https://recipes.example/{mark}"}}),
        ("/v1/baskets", {"json": page_job(mark)}),
        (
            "/v1/baskets",
            {"content": form.encode(), "headers": {"content-type": "application/x-www-form-urlencoded"}},
        ),
        (
            "/v1/terminal/open",
            {"content": form.encode(), "headers": {"content-type": "application/x-www-form-urlencoded"}},
        ),
        ("/v1/events/method-browsed", {"content": browsed_event(mark)}),
        (f"/v1/terminal/baskets/{victim.basket_id}/quote", {"json": ask, "params": token}),
        (f"/v1/terminal/baskets/{victim.basket_id}/retry", {"params": token}),
        ("/v1/customers", {"json": {**PERSON, "name": mark}, "headers": operator}),
        ("/v1/channels/text", {"content": mark.encode(), "headers": operator}),
        ("/v1/providers/market-hall/disable", {"headers": operator}),
        ("/v1/providers", {"json": {"provider_id": f"x-{mark}", "name": mark}, "headers": operator}),
    ]


@pytest.mark.parametrize("attack", sorted(CROSS_SITE))
def test_a_write_from_another_site_gets_403(kitting: Kitting, victim: Basket, attack: str) -> None:
    mark = marker()
    hostile = {k: v.format(port=kitting.port) for k, v in CROSS_SITE[attack].items()}
    before, bus = kitting.stored(), kitting.mark()
    victim_before = kitting.basket(victim)
    for path, request in cross_site_writes(kitting, victim, mark):
        headers = {**request.pop("headers", {}), **hostile}
        answer = WEB.post(kitting.url(path), headers=headers, timeout=30, **request)
        assert answer.status_code == 403, (path, answer.text)
        assert "cannot change anything here" in answer.json()["detail"]
    assert kitting.stored() == before
    kitting.assert_nothing_published(bus, mark)
    assert kitting.basket(victim) == victim_before
    kitting.assert_still_serving()


def test_the_same_write_from_the_services_own_pages_goes_through(kitting: Kitting) -> None:
    """What the refusals above guard: the same request from Kitting's own origin is taken."""
    mark, bus = marker(), kitting.mark()
    own = {"Origin": f"http://127.0.0.1:{kitting.port}", "Sec-Fetch-Site": "same-origin", **kitting.operator}
    answer = WEB.post(kitting.url("/v1/channels/text"), content=f"2 onions\n{mark}".encode(), headers=own)
    assert answer.status_code == 202, answer.text
    started = on(kitting.since(bus), Topic.METHOD_BROWSED)
    assert [document(r)["subject"] for r in started] == [answer.json()["basket_id"]]


def test_the_collector_takes_cross_site_posts_but_only_with_a_site_key(kitting: Kitting) -> None:
    """The one exception to the same-site rule still needs a site's key: a stranger gets 401."""
    mark = marker()
    before, bus = kitting.stored(), kitting.mark()
    hostile = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    page = {"url": f"https://recipes.example/{mark}", "html": TINY_PAGE}
    for path, body in (("/v1/collect/browse", page), ("/v1/collect/browse/batch", {"events": [page]})):
        for key in (
            {},
            {"X-Kitting-Site-Key": "ks_guessed"},
            {"Authorization": f"Bearer {kitting.admin_token}"},
        ):
            answer = WEB.post(kitting.url(path), json=body, headers={**hostile, **key})
            assert answer.status_code == 401, (path, key, answer.text)
            assert "key" in answer.json()["detail"]
    assert kitting.stored() == before
    kitting.assert_nothing_published(bus, mark)
    kitting.assert_still_serving()


# --- people and their baskets ----------------------------------------------------------------------


def test_nobody_orders_for_a_person_without_that_persons_token(
    kitting: Kitting, people: dict[str, tuple[str, str]], victim: Basket
) -> None:
    alice_ref, alice_token = people["alice"]
    _, bob_token = people["bob"]
    mark = marker()
    before, bus = kitting.stored(), kitting.mark()
    wrong: list[dict[str, str]] = [
        {}, {"X-Kitting-Customer-Token": bob_token}, {"X-Kitting-Customer-Token": alice_ref},
        {"X-Kitting-Customer-Token": victim.token}, {"X-Kitting-Customer-Token": "kc_" + "0" * 40},
        {"X-Kitting-Customer-Token": alice_token[:-1] + ("0" if alice_token[-1] != "0" else "1")},
        {"X-Kitting-Customer-Token": alice_token.upper()}, kitting.operator,
    ]  # fmt: skip
    for headers in wrong:
        for answer in (
            WEB.post(
                kitting.url("/v1/baskets"), json=page_job(mark, quote=quote_of(alice_ref)), headers=headers
            ),
            WEB.post(
                kitting.url("/v1/events/method-browsed"),
                content=browsed_event(mark, ref=alice_ref),
                headers=headers,
            ),
        ):
            assert answer.status_code == 401, (headers, answer.text)
            assert "customer token" in answer.json()["detail"]
    assert kitting.stored() == before
    kitting.assert_nothing_published(bus, mark, alice_ref)
    kitting.assert_still_serving()

    # Alice's own token orders for her; her reference goes on the bus concealed for that basket only
    answer = WEB.post(
        kitting.url("/v1/baskets"), json=page_job(mark, quote=quote_of(alice_ref)),
        headers={"X-Kitting-Customer-Token": alice_token},
    )  # fmt: skip
    assert answer.status_code == 202, answer.text
    records = kitting.since(bus)
    started = on(records, Topic.METHOD_BROWSED)
    assert [document(r)["subject"] for r in started] == [answer.json()["basket_id"]]
    assert document(started[0])["data"]["quote"]["customer_ref"].startswith("kr1.")
    assert not [r.topic for r in records if alice_ref.encode() in (r.value or b"")]


BASKET_READS = [
    "/v1/baskets/{id}",
    "/v1/baskets/{id}/offers",
    "/v1/baskets/{id}/orders",
    "/v1/terminal/baskets/{id}",
]


@pytest.mark.parametrize("route", [*BASKET_READS, "/v1/terminal/baskets/{id}/stream"])
def test_a_basket_is_read_with_its_own_token_only(
    kitting: Kitting, people: dict[str, tuple[str, str]], victim: Basket, route: str
) -> None:
    path = route.format(id=victim.basket_id)
    assert kitting.canary is not None
    wrong: list[tuple[dict[str, str], dict[str, str]]] = [
        ({}, {"token": kitting.canary.token}),  # another basket's token
        ({}, {"token": victim.token.upper()}),
        ({}, {"token": victim.token[:-1]}),
        ({}, {"token": kitting.admin_token}),  # the operator's token is a header, not a basket token
        ({}, {"token": people["alice"][1]}),
        ({"Authorization": f"Bearer {victim.token}"}, {}),
        ({"Authorization": "Bearer wrong"}, {"token": "0" * 32}),
    ]
    for headers, query in [*wrong, ({}, {})]:
        answer = WEB.get(kitting.url(path), headers=headers, params=query, timeout=10)
        # the terminal's routes take the token as a required parameter: without one, 422
        expected = 403 if "token" in query or route.startswith("/v1/baskets") else 422
        assert answer.status_code == expected, (headers, query, answer.text)
        assert "recipes.example/victim" not in answer.text
    if "stream" in route:
        return
    owner = WEB.get(kitting.url(path), params={"token": victim.token})
    operator = (
        WEB.get(kitting.url(path), headers=kitting.operator) if route.startswith("/v1/baskets") else owner
    )
    for answer in (owner, operator):  # past the check: the basket, or "no quote round (yet)"
        assert answer.status_code in (200, 404), answer.text
        assert answer.status_code == 200 or "yet" in answer.json()["detail"]
    kitting.assert_still_serving()


def test_a_basket_is_changed_with_its_own_token_only(kitting: Kitting, victim: Basket) -> None:
    assert kitting.canary is not None
    mark = marker()
    before, bus, victim_before = kitting.stored(), kitting.mark(), kitting.basket(victim)
    ask = {"contact": {**PERSON, "name": mark}, "delivery": "pickup", "payment": "pay-at-pickup"}
    commands: list[tuple[str, dict[str, Any] | None]] = [
        ("quote", ask),
        ("selection", {"request_id": mark}),
        ("retry", None),
    ]
    for command, body in commands:
        for token in (kitting.canary.token, victim.token[::-1], kitting.admin_token):
            answer = WEB.post(
                kitting.url(f"/v1/terminal/baskets/{victim.basket_id}/{command}"),
                params={"token": token},
                json=body,
            )
            assert answer.status_code == 403, (command, answer.text)
    assert kitting.stored() == before and kitting.basket(victim) == victim_before
    kitting.assert_nothing_published(bus, mark)
    kitting.assert_still_serving()


def test_the_server_chooses_basket_and_event_ids(kitting: Kitting, victim: Basket) -> None:
    """A client that sends somebody's basket id, or the same CloudEvent twice, gets new ids each time:
    it can neither write into another's basket nor make another's request look like a repeat."""
    mark = marker()
    victim_before = kitting.basket(victim)
    raw = browsed_event(mark, basket_id=victim.basket_id)
    client_event_id = json.loads(raw)["id"]
    bus = kitting.mark()
    answers = [WEB.post(kitting.url("/v1/events/method-browsed"), content=raw) for _ in range(2)]
    answers.append(
        WEB.post(
            kitting.url("/v1/baskets"), json=page_job(mark, basket_id=victim.basket_id, id=client_event_id)
        )
    )
    for answer in answers:
        assert answer.status_code == 202, answer.text
    ids = [a.json()["id"] for a in answers]
    baskets = [a.json()["basket_id"] for a in answers]
    assert len(set(ids)) == 3 and client_event_id not in ids
    assert len(set(baskets)) == 3 and victim.basket_id not in baskets
    started = on(kitting.since(bus), Topic.METHOD_BROWSED)
    assert sorted(document(r)["id"] for r in started) == sorted(ids)
    assert sorted(document(r)["subject"] for r in started) == sorted(baskets)
    for answer in answers:  # none was dropped as a repeat: each basket is read by the worker
        kitting.settled(Basket(answer.json()["basket_id"], answer.json()["token"]))
    assert kitting.basket(victim) == victim_before


def demo_site_key(kitting: Kitting) -> str:
    """The demo site's key, as any visitor of its pages reads it from the snippet tag."""
    page = WEB.get(WEB.get(kitting.url("/v1/terminal/demo-pages")).json()[0]["url"]).text
    found = re.search(r'data-site-key="([^"]+)"', page)
    assert found is not None, page[-500:]
    return found.group(1)


# --- sizes and rates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "limit", "chunked", "who"),
    [
        ("/v1/baskets", 1_800_000, False, "anyone"),
        ("/v1/baskets", 1_800_000, True, "anyone"),
        ("/v1/events/method-browsed", 1_800_000, True, "anyone"),
        ("/v1/terminal/open", 1_000_000, True, "anyone"),
        ("/v1/customers", 1_000_000, True, "operator"),
        ("/v1/collect/browse", 1_800_000, True, "site"),
        # a batch takes 16 MB (the route's own limit, or a stricter one, passes)
        ("/v1/collect/browse/batch", 16_000_000, True, "site"),
        ("/v1/channels/email", 21_000_000, True, "operator"),
        ("/v1/channels/fax", 21_000_000, False, "operator"),
    ],
)
def test_a_50_mb_body_gets_413_as_it_arrives(
    kitting: Kitting, path: str, limit: int, chunked: bool, who: str
) -> None:
    """Sent by whoever may use the route (else the refusal could be another one): 413 all the same."""
    before, bus = kitting.stored(), kitting.mark()
    credentials = {
        "anyone": {},
        "operator": kitting.operator,
        "site": {"X-Kitting-Site-Key": demo_site_key(kitting)},
    }
    headers = {"Content-Type": "application/json", **credentials[who]}
    answer = endless_upload(kitting, path, FIFTY_MB, headers, chunked)
    assert answer.status == 413, answer.body[:300]
    seen = re.search(r"larger than the ([\d,]+) bytes", answer.json()["detail"])
    assert seen is not None, answer.json()
    assert int(seen.group(1).replace(",", "")) <= limit  # the route's limit, or a stricter one
    assert answer.sent < FIFTY_MB  # answered before the body ended: it was never read whole
    if not chunked:
        assert answer.sent < 10 * 1024 * 1024  # its length alone was enough
    assert kitting.stored() == before
    kitting.assert_nothing_published(bus)
    kitting.assert_still_serving()


def test_deeply_nested_json_is_refused_with_a_4xx(kitting: Kitting) -> None:
    mark = marker()
    deep = "[" * 300_000 + "]" * 300_000
    bus = kitting.mark()
    site = {"X-Kitting-Site-Key": demo_site_key(kitting)}
    bodies = [
        ("/v1/baskets", f'{{"url":"https://recipes.example/{mark}","components":{deep}}}', {}),
        ("/v1/terminal/open", f'{{"url":{deep}}}', {}),
        ("/v1/events/method-browsed", deep, {}),
        ("/v1/collect/browse", f'{{"url":"https://recipes.example/{mark}","components":{deep}}}', site),
        ("/v1/customers", f'{{"name":{deep}}}', kitting.operator),
    ]
    for path, body, headers in bodies:
        answer = WEB.post(
            kitting.url(path), content=body.encode(), timeout=60,
            headers={"content-type": "application/json", **headers},
        )  # fmt: skip
        assert 400 <= answer.status_code < 500, (path, answer.status_code, answer.text[:300])
    kitting.assert_nothing_published(bus, mark)
    kitting.assert_still_serving()


def open_streams(kitting: Kitting, basket: Basket, addresses: list[str]) -> list[LiveStream]:
    opened = [LiveStream(kitting, basket, source) for source in addresses]
    assert [s.status for s in opened] == [200] * len(opened), [s.body for s in opened if s.status != 200]
    return opened


def close_all(streams: list[LiveStream]) -> None:
    for stream in streams:
        stream.close()


def stream_opens(kitting: Kitting, basket: Basket, source: str) -> bool:
    stream = LiveStream(kitting, basket, source)
    stream.close()
    return stream.status == 200


def test_one_client_follows_at_most_8_baskets_live(kitting: Kitting, victim: Basket) -> None:
    greedy, other = "127.0.0.20", "127.0.0.21"
    wait_for("a fresh client's stream opens", lambda: stream_opens(kitting, victim, other), 15)
    held = open_streams(kitting, victim, [greedy] * 8)
    try:
        ninth = LiveStream(kitting, victim, greedy)
        assert ninth.status == 429 and int(ninth.headers["retry-after"]) >= 1
        assert "at most 8" in ninth.detail()
        assert stream_opens(kitting, victim, other)  # another client is still served
        kitting.assert_still_serving()
        held.pop().close()  # a slot given back is a slot again
        wait_for("a stream after one was closed", lambda: stream_opens(kitting, victim, greedy), 15)
    finally:
        close_all(held)


def test_the_service_follows_at_most_100_baskets_live_in_all(kitting: Kitting, victim: Basket) -> None:
    addresses = [source for source in sources(30, 13) for _ in range(8)][:100]
    latecomer = "127.0.0.50"
    wait_for("a fresh client's stream opens", lambda: stream_opens(kitting, victim, latecomer), 15)
    held: list[LiveStream] = []
    try:
        held = open_streams(kitting, victim, addresses)
        late = LiveStream(kitting, victim, latecomer)
        assert late.status == 429 and int(late.headers["retry-after"]) >= 1
        assert "too many people" in late.detail()
        kitting.assert_still_serving()
    finally:
        close_all(held)
    wait_for("a stream once the others closed", lambda: stream_opens(kitting, victim, latecomer), 15)


def test_one_client_starts_20_baskets_at_once_then_one_every_2_s(kitting: Kitting) -> None:
    marks = [marker() for _ in range(21)]
    bus = kitting.mark()
    with kitting.client("127.0.0.60") as eager:
        answers = [eager.post("/v1/baskets", json=page_job(mark)) for mark in marks]
        assert [a.status_code for a in answers[:20]] == [202] * 20, [
            a.text for a in answers if a.status_code != 202
        ]
        refused = answers[20]
        assert refused.status_code == 429, refused.text
        assert "too many baskets" in refused.json()["detail"]
        wait = int(refused.headers["retry-after"])
        assert 1 <= wait <= 2
        started = on(kitting.since(bus), Topic.METHOD_BROWSED)
        urls = sorted(document(r)["data"]["url"] for r in started)
        assert urls == sorted(f"https://recipes.example/{m}" for m in marks[:20])  # not the 21st
        other = WEB.post(kitting.url("/v1/baskets"), json=page_job(marker()))  # another client: served
        assert other.status_code == 202, other.text
        kitting.assert_still_serving()
        time.sleep(wait + 0.2)
        assert eager.post("/v1/baskets", json=page_job(marker())).status_code == 202


# The per-client limits count a client by `request.client.host` (agents/http/limits.py client_of). `kitting
# up` runs uvicorn with proxy headers off unless KITTING_TRUSTED_PROXIES names the proxies, so a client
# cannot pick its own address with X-Forwarded-For (it could, with uvicorn's defaults, from 127.0.0.1).


def test_a_client_cannot_dodge_its_stream_limit_with_x_forwarded_for(
    kitting: Kitting, victim: Basket
) -> None:
    held = [
        LiveStream(kitting, victim, "127.0.0.1", {"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(1, 10)
    ]
    try:
        assert [s.status for s in held].count(429) == 1, [s.status for s in held]  # the 9th
    finally:
        close_all(held)


def test_a_client_cannot_dodge_its_start_limit_with_x_forwarded_for(kitting: Kitting) -> None:
    """Kept last in this module: once the hole is closed, these starts count against 127.0.0.1."""
    codes = [
        WEB.post(
            kitting.url("/v1/baskets"),
            json=page_job(marker()),
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        ).status_code
        for n in range(1, 26)
    ]
    assert 429 in codes, codes


def test_the_public_demo_key_posts_only_kittings_own_pages(kitting: Kitting) -> None:
    """The demo site's key is in every demo page: it must not let anyone post (or make Kitting fetch)
    pages of other sites."""
    mark = marker()
    bus = kitting.mark()
    site = {"X-Kitting-Site-Key": demo_site_key(kitting)}
    elsewhere = WEB.post(
        kitting.url("/v1/collect/browse"), json={"url": f"https://recipes.example/{mark}"}, headers=site
    )
    assert elsewhere.status_code == 403 and "not on site" in elsewhere.json()["detail"]
    kitting.assert_nothing_published(bus, mark)
    own = WEB.post(
        kitting.url("/v1/collect/browse"),
        json={"url": kitting.url(f"/demo-site/lentil-curry?{mark}"), "html": "<ul><li>1 onion</li></ul>"},
        headers=site,
    )
    assert own.status_code == 202, own.text
    kitting.assert_still_serving()
