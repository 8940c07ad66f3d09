"""Failed logins are limited per account and per client, without a lock-out (app.login_limits).

The rules with a clock the test moves, then over real HTTP: a guesser from one address gets
429 + Retry-After after a handful of tries, while the planner signs in from elsewhere; a
flood over many addresses pauses the account only briefly, and never for a machine the
planner signed in from before.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from app.login_limits import LoginThrottle
from gis.auth import Role
from gis.cluster import EmbeddedCluster
from gis.users import add_user
from tests.conftest import clone, drop, served

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_pauses_grow_per_account_and_client_and_a_success_clears_them() -> None:
    clock = Clock()
    t = LoginThrottle(free_failures=3, pause_max_s=60, clock=clock)
    for _ in range(2):
        t.failed("olena", "1.1.1.1")
    assert t.wait("olena", "1.1.1.1") == 0  # free tries left
    t.failed("olena", "1.1.1.1")
    assert t.wait("olena", "1.1.1.1") == 1
    assert t.wait("olena", "2.2.2.2") == 0  # another client is not paused
    assert t.wait("ivan", "1.1.1.1") == 0  # nor another account
    pauses = []
    for _ in range(8):
        clock.now += t.wait("olena", "1.1.1.1")
        t.failed("olena", "1.1.1.1")
        pauses.append(t.wait("olena", "1.1.1.1"))
    assert pauses == [2, 4, 8, 16, 32, 60, 60, 60]  # doubling, capped
    t.succeeded("olena", "1.1.1.1")
    assert t.wait("olena", "1.1.1.1") == 0
    # failures long ago are forgotten
    for _ in range(3):
        t.failed("ivan", "1.1.1.1")
    clock.now += t.window_s + 1
    t.failed("ivan", "1.1.1.1")
    assert t.wait("ivan", "1.1.1.1") == 0


def test_one_client_spraying_many_accounts_is_stopped() -> None:
    clock = Clock()
    t = LoginThrottle(free_failures=5, client_failures=10, window_s=100, clock=clock)
    for n in range(10):
        assert t.wait(f"user{n}", "6.6.6.6") == 0
        t.failed(f"user{n}", "6.6.6.6")
    assert t.wait("user99", "6.6.6.6") == 10  # one failure earned back every 10 s
    assert t.wait("user99", "7.7.7.7") == 0
    clock.now += 10
    assert t.wait("user99", "6.6.6.6") == 0


def test_an_account_flooded_from_many_clients_pauses_briefly_and_not_for_known_machines(
        ) -> None:
    clock = Clock()
    t = LoginThrottle(free_failures=5, account_failures=20, account_pause_s=30, clock=clock)
    t.succeeded("olena", "10.0.0.1")  # the planner's own machine
    for n in range(20):
        t.failed("olena", f"192.0.2.{n}")
    assert t.wait("olena", "198.51.100.7") == 30  # a new machine waits half a minute at most
    assert t.wait("olena", "10.0.0.1") == 0  # the planner's does not wait at all
    clock.now += 30
    assert t.wait("olena", "198.51.100.7") == 0


@pytest.fixture(scope="module")
def guarded(cluster: EmbeddedCluster, template_url: str) -> Iterator[dict[str, Any]]:
    url = clone(cluster, "gis_template", "logins")
    with psycopg.connect(url) as conn:
        add_user(conn, "olena", frozenset({Role.PLANNER}), password=PASSWORD)
        add_user(conn, "ivan", frozenset({Role.REGISTRAR}), password=PASSWORD)
        conn.commit()
    try:
        with served({"GIS_DATABASE_URL": url, "GIS_AUTH__COOKIE_SECURE": "false",
                     "GIS_LIMITS__LOGIN_ACCOUNT_FAILURES": "30",
                     "GIS_LIMITS__LOGIN_ACCOUNT_PAUSE_S": "5"}) as base:
            yield {"server": base}
    finally:
        drop(cluster, "logins")


def client_at(address: str, server: str) -> httpx.Client:
    """Return an HTTP client whose requests come from ``address`` (any 127.x is loopback)."""
    return httpx.Client(base_url=server, timeout=30,
                        transport=httpx.HTTPTransport(local_address=address))


def login(client: httpx.Client, password: str, name: str = "olena") -> httpx.Response:
    client.cookies.clear()  # each try as a fresh browser would send it (no session yet)
    return client.post("/login", json={"name": name, "password": password})


def test_a_hundred_wrong_passwords_meet_429_and_the_planner_still_signs_in(
        guarded: dict[str, Any]) -> None:
    server = guarded["server"]
    with client_at("127.0.0.7", server) as guesser:
        codes = [login(guesser, f"guess {n}").status_code for n in range(100)]
        assert codes[:5] == [401] * 5
        assert codes.count(429) >= 90, codes
        r = login(guesser, "guess again")
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert r.headers["content-type"] == "application/problem+json"
        # the right password from the guessing client waits too: a pause is not a hint
        assert login(guesser, PASSWORD).status_code == 429
        form = guesser.post("/login", data={"name": "olena", "password": "x"})
        assert form.status_code == 429 and "спробуйте через" in form.text
    with client_at("127.0.0.8", server) as planner:  # the planner's own machine
        assert login(planner, PASSWORD).status_code == 200
        assert login(planner, "typo").status_code == 401
        assert login(planner, PASSWORD).status_code == 200


def test_a_flood_from_many_addresses_pauses_new_machines_only_briefly(
        guarded: dict[str, Any]) -> None:
    server = guarded["server"]
    with client_at("127.0.0.9", server) as registrar:  # signed in here before the flood
        assert login(registrar, PASSWORD, "ivan").status_code == 200
    for n in range(30):  # the account limit of this server: 30 failures from anywhere
        with client_at(f"127.0.1.{n + 1}", server) as bot:
            assert login(bot, "guess", "ivan").status_code == 401
    with client_at("127.0.2.1", server) as new_machine:
        r = login(new_machine, PASSWORD, "ivan")
        assert r.status_code == 429 and int(r.headers["retry-after"]) <= 5
    with client_at("127.0.0.9", server) as registrar:
        assert login(registrar, PASSWORD, "ivan").status_code == 200
