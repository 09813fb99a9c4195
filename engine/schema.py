"""The SocialEvent: the generic source's body, and what every adapter produces."""
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load, validate

PLATFORMS = ("twitter", "facebook", "instagram", "google", "trustpilot", "web")
KINDS = ("post", "comment", "mention", "reply", "direct_message", "review", "like", "share",
         "follow", "referral", "signup", "purchase", "check_in")
PLATFORM_NAME = validate.Regexp(r"^[a-z][a-z0-9_]{0,31}$",
                                error="must be a lower-case platform name such as twitter")


class AuthorSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    handle = fields.String(allow_none=True, load_default=None)
    name = fields.String(allow_none=True, load_default=None)
    email = fields.Email(allow_none=True, load_default=None)
    followers = fields.Integer(allow_none=True, load_default=None, strict=True)
    verified = fields.Boolean(allow_none=True, load_default=None)


class ReferredSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    email = fields.Email(allow_none=True, load_default=None)
    code = fields.String(allow_none=True, load_default=None)
    name = fields.String(allow_none=True, load_default=None)


class SocialEventSchema(Schema):
    """Validate a SocialEvent; unknown top-level fields are kept under `extra`."""

    id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    platform = fields.String(required=True, validate=PLATFORM_NAME)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    occurred_at = fields.AwareDateTime(required=True, format="iso", default_timezone=None)
    author = fields.Nested(AuthorSchema, required=True)
    brand = fields.String(required=True, validate=validate.Length(min=1, max=200))
    text = fields.String(allow_none=True, load_default=None)
    url = fields.Url(allow_none=True, load_default=None, require_tld=False)
    in_reply_to = fields.String(allow_none=True, load_default=None)
    thread = fields.String(allow_none=True, load_default=None)
    rating = fields.Integer(allow_none=True, load_default=None, strict=True,
                            validate=validate.Range(min=1, max=5))
    referred = fields.Nested(ReferredSchema, allow_none=True, load_default=None)
    extra = fields.Dict(load_default=dict)

    @pre_load
    def keep_unknown_in_extra(self, data, **kwargs):
        """Move fields the schema does not know into `extra` instead of refusing them."""
        if not isinstance(data, dict):
            return data
        known = set(self.fields)
        extra = dict(data.get("extra") or {}) if isinstance(data.get("extra"), dict) else {}
        extra.update({k: v for k, v in data.items() if k not in known})
        kept = {k: v for k, v in data.items() if k in known}
        kept["extra"] = extra
        return kept

    @post_load
    def default_thread(self, data, **kwargs):
        """Start a conversation at the event itself; a reply's thread is found from storage later."""
        data["thread"] = data["thread"] or (None if data["in_reply_to"] else data["id"])
        return data


_schema = SocialEventSchema()


def first_error(messages: dict, prefix: str = "") -> tuple[str, str]:
    """Return (dotted field, message) of the first validation error."""
    key, value = next(iter(messages.items()))
    path = f"{prefix}{key}"
    if isinstance(value, dict):
        return first_error(value, f"{path}.")
    return path, value[0] if isinstance(value, list) else str(value)


def load_event(payload) -> dict:
    """Validate a payload into a SocialEvent dict; raise ValidationError naming the field."""
    if not isinstance(payload, dict):
        raise ValidationError({"_schema": ["the body must be a JSON object"]})
    return _schema.load(payload)


def dump_event(event: dict) -> dict:
    """Render a SocialEvent as JSON-ready data."""
    data = dict(event)
    data["occurred_at"] = event["occurred_at"].isoformat().replace("+00:00", "Z")
    return data
