"""The baseline of bench/ingest.py: a Flask app that only answers 202, under the same server."""
from flask import Flask

app = Flask("bare")


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.post("/webhooks/events")
def events():
    return {"id": "bare", "status": "accepted"}, 202
