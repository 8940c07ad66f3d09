"""Bearer JWTs of an external OpenID Connect provider, against a real server.

The provider is played by a key pair made here and a small HTTP server on loopback that
publishes its discovery document and its public key (JWKS), as Keycloak does; tokens are signed
with the private half. The app finds the keys through discovery (only the issuer is
configured). Roles come in Keycloak's nested claim and are renamed by the role map.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import psycopg
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gis.cluster import EmbeddedCluster
from tests.conftest import DEMO_TODAY, clone, drop, served

AUDIENCE = "hromada-gis"
ISSUER = ""  # the loopback provider's URL, set by the fixture


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def token(key: rsa.RSAPrivateKey, kid: str = "k1", **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "b7c1", "preferred_username": "olena.k",
            "iat": now, "exp": now + 300,
            "realm_access": {"roles": ["gis-planner", "offline_access"]}, **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm="RS256",
                      headers={"kid": kid})


class Provider(BaseHTTPRequestHandler):
    """The identity provider's public face: discovery and keys."""

    documents: dict[str, bytes] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = self.documents.get(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body or b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def provider(cluster: EmbeddedCluster, template_url: str) -> Iterator[dict[str, Any]]:
    global ISSUER
    from app.demo.load import load_demo

    url = clone(cluster, "gis_template", "oidc")
    with psycopg.connect(url) as conn:
        load_demo(conn, scale=0.01, seed=68, today=DEMO_TODAY, srid=6383)
        conn.commit()
    key = new_key()
    idp = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    ISSUER = f"http://127.0.0.1:{idp.server_port}/realms/hromada"
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    Provider.documents = {
        "/realms/hromada/.well-known/openid-configuration": json.dumps(
            {"issuer": ISSUER, "jwks_uri": f"{ISSUER}/protocol/openid-connect/certs"}).encode(),
        "/realms/hromada/protocol/openid-connect/certs": json.dumps(
            {"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()}
    threading.Thread(target=idp.serve_forever, daemon=True).start()
    try:
        with served({
            "GIS_DATABASE_URL": url, "GIS_AUTH__OIDC__ISSUER": ISSUER,
            "GIS_AUTH__OIDC__AUDIENCE": AUDIENCE,
            "GIS_AUTH__OIDC__ROLES_CLAIM": "realm_access.roles",
            "GIS_AUTH__OIDC__ROLE_MAP": json.dumps({"gis-planner": "planner",
                                                    "gis-registrar": "registrar"})}) as base:
            yield {"server": base, "key": key, "url": url}
    finally:
        idp.shutdown()
        idp.server_close()
        drop(cluster, "oidc")


def patch_parcel(server: str, bearer: str) -> httpx.Response:
    items = f"{server}/collections/land_parcels/items"
    pid = httpx.get(f"{items}?limit=1&f=json").json()["features"][0]["id"]
    return httpx.patch(f"{items}/{pid}", json={"properties": {"purpose_code": "02.03"}},
                       headers={"Authorization": f"Bearer {bearer}"})


def test_a_planner_of_the_provider_edits_parcels_and_history_names_them(
        provider: dict[str, Any]) -> None:
    server, key = provider["server"], provider["key"]
    r = patch_parcel(server, token(key))
    assert r.status_code in (200, 204), r.text
    with psycopg.connect(provider["url"]) as conn:
        row = conn.execute("SELECT changed_by FROM registry.land_parcel "
                           "ORDER BY sys_period DESC LIMIT 1").fetchone()
    assert row == ("olena.k",)
    # the same person as a registrar only: parcels are not theirs to edit
    registrar = token(key, realm_access={"roles": ["gis-registrar"]})
    assert patch_parcel(server, registrar).status_code == 403
    # no staff role at all: a valid token of the public, who may not write
    assert patch_parcel(server, token(key, realm_access={"roles": ["viewer"]})).status_code == 403


@pytest.mark.parametrize(("change", "says"), [
    ({"exp": int(time.time()) - 3600}, "expired"),
    ({"iss": "https://evil.example/realms/hromada"}, "not issued by"),
    ({"aud": "another-app"}, "not meant for"),
    ({"exp": None}, "exp"),
])
def test_bad_tokens_are_401_saying_why(provider: dict[str, Any], change: dict[str, Any],
                                       says: str) -> None:
    r = patch_parcel(provider["server"], token(provider["key"], **change))
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert says in r.json()["detail"], r.json()


def test_forged_tokens_are_401(provider: dict[str, Any]) -> None:
    server, key = provider["server"], provider["key"]
    other = new_key()  # right issuer and kid, wrong private key
    assert patch_parcel(server, token(other)).status_code == 401
    assert patch_parcel(server, token(other, kid="k9")).status_code == 401  # unknown key
    body = jwt.decode(token(key), options={"verify_signature": False})
    unsigned = jwt.encode(body, None, algorithm="none")  # alg none: never accepted
    assert patch_parcel(server, unsigned).status_code == 401
    # HS256 keyed with the provider's public key (the classic algorithm-confusion forgery)
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signed = f"{b64(json.dumps({'alg': 'HS256', 'kid': 'k1'}).encode())}." \
             f"{b64(json.dumps(body).encode())}"
    mac = hmac.new(public_pem, signed.encode(), hashlib.sha256).digest()
    assert patch_parcel(server, f"{signed}.{b64(mac)}").status_code == 401


def test_a_planner_of_the_provider_gets_a_temporary_database_login_for_qgis(
        provider: dict[str, Any]) -> None:
    """OpenID Connect users have no password here: the server gives them a database login
    with the token's roles and a random password that expires (GIS_DB_LOGINS__TEMPORARY_HOURS)."""
    from urllib.parse import quote, urlsplit

    server, key = provider["server"], provider["key"]
    r = httpx.post(f"{server}/qgis/credentials", headers={"Authorization": f"Bearer {token(key)}"})
    assert r.status_code == 201, r.text
    given = r.json()
    assert given["login"] == "oidc_olena_k" and f"user={given['login']}" in given["service_entry"]
    entry = httpx.get(f"{server}/qgis/service-entry",
                      headers={"Authorization": f"Bearer {token(key)}"})
    assert entry.status_code == 200 and "user=oidc_olena_k" in entry.text
    port = urlsplit(provider["url"]).port
    login_url = f"postgresql://{given['login']}:{quote(given['password'], safe='')}@127.0.0.1:" \
                f"{port}/oidc"
    with psycopg.connect(login_url) as conn:
        pid = conn.execute("SELECT id FROM registry.land_parcel ORDER BY id DESC LIMIT 1"
                           ).fetchone()[0]
        conn.execute("UPDATE registry.land_parcel SET purpose_text = 'з QGIS', "
                     "version = -version WHERE id = %s", (pid,))
        conn.commit()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE registry.advertising_structure SET location_text = 'x'")
    with psycopg.connect(provider["url"]) as conn:
        assert conn.execute("SELECT changed_by FROM registry.land_parcel WHERE id = %s",
                            (pid,)).fetchone() == ("olena.k",)
        hours = conn.execute("SELECT extract(epoch FROM rolvaliduntil - now()) / 3600 FROM "
                             "pg_roles WHERE rolname = 'oidc_olena_k'").fetchone()[0]
    assert 11 < hours <= 12
    # a token without a staff role gets no database login
    viewer = token(key, realm_access={"roles": ["viewer"]})
    assert httpx.post(f"{server}/qgis/credentials",
                      headers={"Authorization": f"Bearer {viewer}"}).status_code == 403
