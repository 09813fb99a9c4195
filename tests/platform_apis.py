"""Stand-ins for the platform APIs Goodwill reads content from, served on 127.0.0.1.

Google: the OAuth 2 token endpoint and the Business Profile API's reviews. Meta: the Graph
API's `mentioned_comment` and `mentioned_media` fields of an Instagram account. They answer
with the fixtures in integrations/<platform>/fixtures/, shaped as the platforms document them,
and record every request so tests can count them.
"""
import json
import re
import threading
from pathlib import Path

from flask import Flask, request
from werkzeug.serving import make_server

INTEGRATIONS = Path(__file__).resolve().parents[1] / "integrations"


def fixture(platform: str, name: str) -> dict:
    """Read integrations/<platform>/fixtures/<name>.json."""
    return json.loads((INTEGRATIONS / platform / "fixtures" / f"{name}.json").read_text())


class StandIn:
    """Serve a Flask app on a free port of 127.0.0.1 until shutdown()."""

    def __init__(self, app: Flask):
        self.lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def shutdown(self) -> None:
        self.server.shutdown()


class GoogleApis(StandIn):
    """The token endpoint (`/token`) and `GET /v4/<review name>` for one OAuth client."""

    CLIENT_ID = "812034567890-goodwill.apps.googleusercontent.com"
    CLIENT_SECRET = "GOCSPX-standin-client-secret"
    REFRESH_TOKEN = "1//0standin-refresh-token"

    def __init__(self, reviews: list[dict]):
        self.reviews = {review["name"]: review for review in reviews}
        self.tokens_issued: list[str] = []
        self.review_requests: list[dict] = []
        # Statuses the next review requests answer with, in order, before the review itself.
        self.faults: list[int] = []
        app = Flask("google-apis")
        app.post("/token")(self._token)
        app.get("/v4/<path:name>")(self._review)
        super().__init__(app)

    def settings(self) -> dict:
        """The Goodwill settings that point at this stand-in with its credentials."""
        return {"google_client_id": self.CLIENT_ID, "google_client_secret": self.CLIENT_SECRET,
                "google_refresh_token": self.REFRESH_TOKEN, "google_api_url": self.url,
                "google_token_url": f"{self.url}/token"}

    def _token(self):
        given = (request.form.get("grant_type"), request.form.get("client_id"),
                 request.form.get("client_secret"), request.form.get("refresh_token"))
        if given != ("refresh_token", self.CLIENT_ID, self.CLIENT_SECRET, self.REFRESH_TOKEN):
            return {"error": "invalid_grant", "error_description": "Bad Request"}, 400
        with self.lock:
            response = fixture("google", "token_response")
            response["access_token"] += f"-{len(self.tokens_issued)}"
            self.tokens_issued.append(response["access_token"])
        return response

    def _review(self, name: str):
        authorization = request.headers.get("Authorization", "")
        with self.lock:
            self.review_requests.append({"name": name, "authorization": authorization})
            fault = self.faults.pop(0) if self.faults else None
        if authorization.removeprefix("Bearer ") not in self.tokens_issued:
            return {"error": {"code": 401, "status": "UNAUTHENTICATED",
                              "message": "Request had invalid authentication credentials."}}, 401
        if fault == 503:
            return fixture("google", "api_unavailable"), 503
        if name not in self.reviews:
            return fixture("google", "review_not_found"), 404
        return self.reviews[name]


class GraphApi(StandIn):
    """`GET /<ig-user-id>?fields=mentioned_comment.comment_id(<id>){…}` (or mentioned_media)."""

    FIELDS = re.compile(r"^(mentioned_comment|mentioned_media)\.(?:comment_id|media_id)"
                        r"\((\w+)\)\{(.*)\}$")
    ACCESS_TOKEN = "EAAGstandinPageAccessToken"

    def __init__(self, account: str, responses: list[dict], refused_fields: tuple[str, ...] = ()):
        self.account = account
        # Each response fixture is {"mentioned_comment" | "mentioned_media": {...}, "id": account}.
        self.found = {(edge, body[edge]["id"]): body[edge]
                      for body in responses for edge in body if edge != "id"}
        self.refused_fields = refused_fields
        self.requests: list[dict] = []
        app = Flask("graph-api")
        app.get("/<node>")(self._node)
        super().__init__(app)

    def settings(self) -> dict:
        return {"meta_page_access_token": self.ACCESS_TOKEN, "meta_graph_url": self.url}

    def _node(self, node: str):
        fields = request.args.get("fields", "")
        with self.lock:
            self.requests.append({"node": node, "fields": fields,
                                  "authorization": request.headers.get("Authorization")})
        if request.headers.get("Authorization") != f"Bearer {self.ACCESS_TOKEN}":
            return fixture("meta", "graph_error_token_expired"), 400
        match = self.FIELDS.match(fields)
        if node != self.account or not match:
            return fixture("meta", "graph_error_no_such_object"), 400
        edge, object_id, wanted = match.groups()
        if any(refused in wanted for refused in self.refused_fields):
            return fixture("meta", "graph_error_nonexisting_field"), 400
        found = self.found.get((edge, object_id))
        if found is None:
            return fixture("meta", "graph_error_no_such_object"), 400
        # Only the fields asked for come back, as from the real API.
        names = re.sub(r"\{[^}]*\}", "", wanted).split(",")
        return {edge: {name: found[name] for name in names if name in found}, "id": self.account}
