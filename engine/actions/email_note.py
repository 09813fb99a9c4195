"""`email.note`: the personal note, by SMTP, to the customer's email address."""
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from marshmallow import Schema, fields, validate

from engine.actions.base import ActionContext, ActionFailed, ActionType, PermanentActionError
from engine.actions.registry import register
from engine.actions.templates import render

SCHEMES = ("smtp", "smtps", "smtp+starttls")


class EmailParams(Schema):
    subject = fields.String(load_default="A note from {brand}", validate=validate.Length(min=1),
                            metadata={"description": "the subject line"})
    body = fields.String(required=True, validate=validate.Length(min=1),
                         metadata={"description": "the note"})


def smtp_settings(url: str) -> dict:
    """Read `smtp[s|+starttls]://user:password@host:port?from=sender` into connection settings."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise PermanentActionError(f"GOODWILL_SMTP_URL must look like smtp://host:25?from=…, "
                                   f"with a scheme among {', '.join(SCHEMES)}")
    sender = parse_qs(parts.query).get("from", [None])[0]
    if not sender:
        raise PermanentActionError("GOODWILL_SMTP_URL needs ?from=<sender address>")
    return {"scheme": parts.scheme, "host": parts.hostname,
            "port": parts.port or (465 if parts.scheme == "smtps" else 25),
            "user": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None, "sender": sender}


def recipient(ctx: ActionContext) -> str | None:
    """The customer's email: their linked one, else the one the event carried."""
    return ctx.customer.get("email") or (ctx.event.get("author") or {}).get("email")


@register
class EmailNote(ActionType):
    """Email the customer a personal note through GOODWILL_SMTP_URL; skipped when no address is known."""

    name = "email.note"
    Params = EmailParams
    template_fields = ("subject", "body")
    example = 'email.note: {body: "Thanks for the kind words, {author.name}: the next coffee is on us."}'

    def label(self, params: dict) -> str:
        return f"email the customer: {params['subject']}"

    def execute(self, ctx: ActionContext, params: dict) -> dict:
        if not ctx.settings.smtp_url:
            return {"skipped": "no mail server: set GOODWILL_SMTP_URL"}
        to = recipient(ctx)
        if not to:
            return {"skipped": "no email address known for this customer"}
        smtp = smtp_settings(ctx.settings.smtp_url)
        message = EmailMessage()
        message["From"], message["To"] = smtp["sender"], to
        message["Subject"] = render(params["subject"], ctx.fact)
        # The same Message-ID on every retry lets mail systems drop a repeat.
        message["Message-ID"] = make_msgid(idstring=ctx.idempotency_key.replace(":", "."),
                                           domain="goodwill")
        message.set_content(render(params["body"], ctx.fact))
        _send(smtp, message)
        return {"sent_to": to, "message_id": message["Message-ID"]}


def _send(smtp: dict, message: EmailMessage) -> None:
    connect = smtplib.SMTP_SSL if smtp["scheme"] == "smtps" else smtplib.SMTP
    try:
        with connect(smtp["host"], smtp["port"], timeout=10) as server:
            if smtp["scheme"] == "smtp+starttls":
                server.starttls()
            if smtp["user"]:
                server.login(smtp["user"], smtp["password"] or "")
            server.send_message(message)
    except smtplib.SMTPResponseException as exc:
        # 5xx: the server refuses for good (bad address, policy); 4xx: try again later.
        error = f"mail server answered {exc.smtp_code}: {exc.smtp_error!r}"
        raise (PermanentActionError if exc.smtp_code >= 500 else ActionFailed)(error)
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentActionError(f"mail server refused the recipient: {exc.recipients}")
    except (OSError, smtplib.SMTPException) as exc:
        raise ActionFailed(f"mail server unreachable: {exc}")
