"""Comment bodies as Zendesk keeps them: plain text and HTML, each derived from the other."""
import html
import re

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_BLOCK_END = re.compile(r"</(p|div|li|h[1-6])\s*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def html_from_plain(body):
    """Render a plain body the way Zendesk fills html_body: paragraphs, line breaks, escaped."""
    paragraphs = [p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
    rendered = "".join(
        '<p dir="auto">' + "<br>".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs)
    return f'<div class="zd-comment" dir="auto">{rendered}</div>'


def plain_from_html(markup):
    """Return the text of an HTML body, keeping its line breaks."""
    text = _BLOCK_END.sub("\n\n", _BREAK.sub("\n", markup))
    text = html.unescape(_TAG.sub("", text))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def comment_bodies(comment):
    """Return (plain, html) for a comment given with `body` or `html_body`; ("", "") if neither."""
    body = comment.get("body")
    markup = comment.get("html_body")
    if isinstance(body, str) and body.strip():
        return body, html_from_plain(body)
    if isinstance(markup, str) and markup.strip():
        return plain_from_html(markup), markup
    return "", ""
