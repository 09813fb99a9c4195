"""Google Business Profile review notifications through `/webhooks/google` (Pub/Sub push)."""
import base64
import json
import threading
import time
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from google.auth import crypt, jwt
from sqlalchemy import select
from werkzeug.serving import make_server

from conftest import start_goodwill
from engine.counters import ITEMS_SKIPPED, totals
from engine.db import InboxEvent

FIXTURES = Path(__file__).resolve().parents[1] / "integrations/google/fixtures"
TOKEN = "pubsub-push-token-4f0c2b7e"
AUDIENCE = "https://goodwill.example.com/webhooks/google"
SERVICE_ACCOUNT = "pubsub-push@bean-and-leaf.iam.gserviceaccount.com"
REVIEW_ID = "AbFvOqlW2x8nK3mY7pQ1rS5tU9vW0xYz"
LOCATION = "accounts/108312473650293824611/locations/5432109876543210987"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def push(app, payload: dict, token: str | None = TOKEN, **headers) -> requests.Response:
    params = {"token": token} if token else {}
    return app.http.post(f"{app.url}/webhooks/google", params=params, data=json.dumps(payload),
                         headers={"Content-Type": "application/json", **headers})


def stored_ids(app) -> list[str]:
    with app.runtime.sessionmaker() as session:
        return list(session.scalars(select(InboxEvent.external_id)))


@pytest.fixture
def receiver(tmp_path):
    app, server = start_goodwill(tmp_path, None, workers=0, google_pubsub_token=TOKEN)
    yield app
    server.shutdown()
    app.runtime.stop()


def test_push_url_token_is_required_and_nothing_stored_without_it(receiver):
    for token in (None, "guessed-token"):
        response = push(receiver, fixture("new_review"), token=token)
        assert response.status_code == 401
        assert response.json()["error"]["field"] == "token"
    assert stored_ids(receiver) == []


def test_unconfigured_route_names_the_settings_to_set(tmp_path):
    app, server = start_goodwill(tmp_path, None, workers=0)
    try:
        response = push(app, fixture("new_review"))
        assert response.status_code == 503
        assert "GOOGLE_PUBSUB_TOKEN" in response.json()["error"]["message"]
    finally:
        server.shutdown()


def test_new_review_becomes_a_review_event_of_its_location(receiver):
    response = push(receiver, fixture("new_review"))
    assert response.status_code == 200
    [answer] = response.json()["events"]
    event = receiver.event(answer["id"])["event"]
    assert (event["platform"], event["kind"], event["id"]) == ("google", "review", REVIEW_ID)
    assert event["thread"] == REVIEW_ID and event["in_reply_to"] is None
    assert event["brand"] == LOCATION
    assert event["occurred_at"] == "2026-11-02T11:02:13.512000Z"
    assert event["extra"]["review_name"] == f"{LOCATION}/reviews/{REVIEW_ID}"
    assert event["extra"]["from_brand"] is False


def test_updated_review_joins_the_reviews_conversation(receiver):
    [answer] = push(receiver, fixture("updated_review")).json()["events"]
    event = receiver.event(answer["id"])["event"]
    assert event["id"] == f"{REVIEW_ID}:updated:9876543210125555"
    assert (event["thread"], event["in_reply_to"]) == (REVIEW_ID, REVIEW_ID)
    assert event["author"]["id"] == REVIEW_ID


def test_pubsub_redelivery_is_a_duplicate(receiver):
    first = push(receiver, fixture("new_review")).json()["events"][0]
    again = push(receiver, fixture("new_review"))
    assert again.status_code == 200
    assert again.json()["events"] == [{**first, "status": "duplicate"}]


def test_other_notifications_and_undecodable_data_are_acknowledged(receiver):
    before = totals(ITEMS_SKIPPED)
    other = push(receiver, fixture("new_customer_media"))
    assert other.status_code == 200 and other.json()["ignored"] == ["NEW_CUSTOMER_MEDIA"]
    garbled = fixture("new_review")
    garbled["message"]["data"] = base64.b64encode(b"not json").decode()
    response = push(receiver, garbled)
    assert response.status_code == 200
    assert response.json()["rejected"][0]["type"] == "not_an_object"
    after = totals(ITEMS_SKIPPED)
    key = ("google", "NEW_CUSTOMER_MEDIA", "unknown")
    assert after[key] == before.get(key, 0) + 1
    assert stored_ids(receiver) == []


def _key_pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _signer(key, key_id: str):
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return crypt.RSASigner.from_string(pem, key_id=key_id)


@pytest.fixture
def google_keys():
    """Serve a certificate map shaped like Google's oauth2/v1/certs; yield its URL and signer."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certs = Flask("certs")
    certs.get("/oauth2/v1/certs")(lambda: ({"test-key-1": _key_pem(key)},
                                           200, {"Cache-Control": "public, max-age=300"}))
    server = make_server("127.0.0.1", 0, certs, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/oauth2/v1/certs", _signer(key, "test-key-1")
    server.shutdown()


def oidc_token(signer, **changes) -> str:
    now = int(time.time())
    claims = {"iss": "https://accounts.google.com", "aud": AUDIENCE, "iat": now, "exp": now + 3600,
              "sub": "112233445566778899000", "email": SERVICE_ACCOUNT, "email_verified": True,
              **changes}
    return jwt.encode(signer, claims).decode()


@pytest.fixture
def oidc_receiver(tmp_path, google_keys):
    certs_url, _ = google_keys
    app, server = start_goodwill(tmp_path, None, workers=0, google_oidc_audience=AUDIENCE,
                                 google_oidc_certs_url=certs_url,
                                 google_pubsub_service_account=SERVICE_ACCOUNT)
    yield app
    server.shutdown()
    app.runtime.stop()


def test_oidc_token_from_the_push_service_account_is_accepted(oidc_receiver, google_keys):
    _, signer = google_keys
    response = push(oidc_receiver, fixture("new_review"), token=None,
                    Authorization=f"Bearer {oidc_token(signer)}")
    assert response.status_code == 200
    assert response.json()["events"][0]["external_id"] == REVIEW_ID


def test_oidc_tokens_that_do_not_check_out_are_refused(oidc_receiver, google_keys):
    _, signer = google_keys
    stranger = _signer(rsa.generate_private_key(public_exponent=65537, key_size=2048), "test-key-1")
    refused = {
        "no token": None,
        "wrong audience": oidc_token(signer, aud="https://someone-else.example.com/push"),
        "expired": oidc_token(signer, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
        "other account": oidc_token(signer, email="intruder@evil.iam.gserviceaccount.com"),
        "other issuer": oidc_token(signer, iss="https://evil.example.com"),
        "other key": oidc_token(stranger),
    }
    for why, token in refused.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = push(oidc_receiver, fixture("new_review"), token=None, **headers)
        assert response.status_code == 401, why
        assert response.json()["error"]["code"] == "bad_token", why
    assert stored_ids(oidc_receiver) == []
