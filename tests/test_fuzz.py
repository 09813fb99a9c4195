"""Fuzz the receiver with signed, generated bodies: never a 5xx, every refusal in the error shape."""
import json
import threading

import pytest
import requests
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st
from werkzeug.serving import make_server

from engine.api import OPENAPI
from engine.cli import EXAMPLES
from engine.runtime import Runtime
from engine.sender import signed_headers
from engine.settings import Settings
from webhook_server import create_app

SECRET = "whsec_" + "ZnV6ei1mdXp6LWZ1enotZnV6eg=="
VALID = json.loads((EXAMPLES / "01-complaint.json").read_text())

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=12)


@st.composite
def bodies(draw):
    """A valid event with some fields replaced or dropped, or something else entirely."""
    if draw(st.integers(0, 9)) == 0:
        return json.dumps(draw(json_values))
    event = json.loads(json.dumps(VALID))
    for key in draw(st.lists(st.sampled_from([*VALID, "author.id", "author.email", "extra"]),
                             max_size=4)):
        target, _, leaf = key.rpartition(".")
        holder = event.get(target) if target else event
        if not isinstance(holder, dict):
            continue
        if draw(st.booleans()):
            holder.pop(leaf or key, None)
        else:
            holder[leaf or key] = draw(json_values)
    event["id"] = draw(st.text(min_size=1, max_size=20)) if draw(st.booleans()) else event.get("id")
    return json.dumps(event)


@pytest.fixture(scope="module")
def receiver(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "goodwill.db"
    settings = Settings(database_url=f"sqlite:///{path}", webhook_secret=SECRET)
    server = make_server("127.0.0.1", 0, create_app(runtime=Runtime(settings)), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", requests.Session()
    server.shutdown()


ERROR_KEYS = set(yaml.safe_load(OPENAPI.read_text())["components"]["schemas"]["Error"]
                 ["properties"]["error"]["required"])


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=bodies())
def test_signed_generated_bodies_never_crash_the_receiver(receiver, body):
    url, http = receiver
    response = http.post(f"{url}/webhooks/events", data=body.encode(),
                         headers=signed_headers(SECRET, body))
    assert response.status_code < 500, response.text
    answer = response.json()
    if response.status_code == 202:
        assert answer["status"] in ("accepted", "duplicate")
    else:
        assert response.status_code in (400, 422)
        assert set(answer["error"]) == ERROR_KEYS


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(headers=st.dictionaries(st.sampled_from(["webhook-id", "webhook-timestamp",
                                                "webhook-signature", "content-type"]),
                               st.text(max_size=60).filter(lambda v: "\n" not in v and "\r" not in v),
                               max_size=3))
def test_bad_or_missing_signature_headers_are_refused_in_the_error_shape(receiver, headers):
    url, http = receiver
    try:
        response = http.post(f"{url}/webhooks/events", data=json.dumps(VALID).encode(),
                             headers={k: v.encode("latin-1", "ignore").decode("latin-1")
                                      for k, v in headers.items()})
    except (ValueError, requests.exceptions.InvalidHeader):
        return  # requests itself refuses such a header; nothing reached the server
    assert response.status_code == 401
    assert set(response.json()["error"]) == ERROR_KEYS


def test_openapi_description_is_served_behind_the_token(goodwill):
    response = goodwill.api("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert "/webhooks/events" in spec["paths"] and "/api/v1/events/{id}" in spec["paths"]
