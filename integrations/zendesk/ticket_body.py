"""What an agent reads on a Goodwill ticket: subject, the customer's post, and Goodwill's context."""
import re

PLATFORM_NAMES = {"twitter": "X (Twitter)", "facebook": "Facebook", "instagram": "Instagram",
                  "google": "Google", "trustpilot": "Trustpilot", "web": "Web"}
SUBJECT_TEXT_LENGTH = 60


def platform_name(platform: str) -> str:
    """Name a platform the way people say it."""
    return PLATFORM_NAMES.get(platform, platform.replace("_", " ").title())


def event_marker(event_id: str) -> str:
    """Return the line that marks a comment as written for one event, so retries can find it."""
    return f"goodwill-event: {event_id}"


def has_marker(body: str | None, marker: str) -> bool:
    """Say whether a comment body carries the marker on a line of its own."""
    return any(line.strip() == marker for line in (body or "").splitlines())


def zendesk_tag(text: str) -> str:
    """Normalise a tag as Zendesk stores it: lower case, no spaces."""
    return re.sub(r"\s+", "_", text.strip().lower())


def who(author: dict) -> str:
    """Name an author: @handle, else their name, else their id."""
    if author.get("handle"):
        return f"@{author['handle']}"
    return author.get("name") or str(author.get("id"))


def default_subject(event: dict) -> str:
    """Say where the post came from and how it starts: 'X (Twitter) mention from @mary: ...'."""
    kind = (event.get("kind") or "post").replace("_", " ")
    subject = f"{platform_name(event['platform'])} {kind} from {who(event.get('author') or {})}"
    text = " ".join((event.get("text") or "").split())
    if len(text) > SUBJECT_TEXT_LENGTH:
        text = text[:SUBJECT_TEXT_LENGTH].rstrip() + "…"
    return f"{subject}: {text}" if text else subject


def post_comment(event: dict, marker: str) -> str:
    """Write the customer's own post as their public comment: the text, its link, the marker."""
    text = event.get("text") or f"({event.get('kind', 'post').replace('_', ' ')} with no text)"
    lines = [text, ""]
    if event.get("url"):
        lines += [event["url"], ""]
    return "\n".join([*lines, marker])


def brand_reply_note(event: dict, marker: str, note: str | None = None) -> str:
    """Write the brand's own reply as an internal note, so the agent sees what was said publicly."""
    lines = [f"{who(event.get('author') or {})} replied on {platform_name(event['platform'])}:",
             event.get("text") or "(no text)"]
    if event.get("url"):
        lines.append(event["url"])
    if note:
        lines += ["", note]
    return "\n".join([*lines, "", marker])


def _author_line(author: dict) -> str:
    details = [who(author)]
    if author.get("name") and author.get("handle"):
        details[0] += f" ({author['name']})"
    if author.get("followers") is not None:
        details.append(f"{author['followers']:,} followers")
    if author.get("verified"):
        details.append("verified")
    if author.get("email"):
        details.append(author["email"])
    return ", ".join(details)


def _sentiment_line(score: float | None) -> str:
    if score is None:
        return "unknown"
    mood = "negative" if score <= -0.05 else "positive" if score >= 0.05 else "neutral"
    return f"{score:+.2f} ({mood})"


def _balance_line(balance: dict) -> str:
    vouchers = balance.get("vouchers") or []
    points = f"{balance.get('points', 0)} points"
    return f"{points}; vouchers: {', '.join(vouchers)}" if vouchers else f"{points}; no vouchers"


def decision_line(decision: dict) -> str:
    """Trace one decision: 'Rule complaints/public-complaint (policy version 3f2a9c1) fired because: ...'."""
    return (f"Rule {decision['policy']}/{decision['rule']} (policy version "
            f"{decision.get('policy_version', '?')}) fired because: {decision.get('why') or '-'}")


def _signal_lines(signals: dict) -> list[str]:
    """Say what the post reads as, with the cues behind it, and the details it gives."""
    cues = signals.get("cues") or {}
    read_as = [f"{name} {signals[name]:.2f} ({', '.join(cues.get(name, [])[:4]) or 'no cue'})"
               for name in ("complaint", "question", "praise", "urgency")
               if isinstance(signals.get(name), (int, float)) and signals[name] > 0]
    lines = [f"Reads as: {'; '.join(read_as)}"] if read_as else []
    details = {kind.replace("_", " "): values
               for kind, values in (signals.get("details") or {}).items() if values}
    if details:
        lines.append("Details given: " + "; ".join(f"{kind} {', '.join(values)}"
                                                   for kind, values in details.items()))
    if signals.get("language") and signals.get("covered") is False:
        lines.append(f"Language: {signals['language']} (not read by our triage)")
    return lines


def context_note(event: dict, fact: dict, customer: dict, decisions: list[dict], marker: str,
                 note: str | None = None, reply: str | None = None, remarks: list[str] = ()) -> str:
    """Write Goodwill's internal note: who posted where, their standing, and every rule that fired.

    `reply` is the policy's suggested answer to the customer; `remarks` say what Goodwill could
    not do as the policy asked (a group Zendesk does not have).
    """
    # The fact's author is the event's author plus what enrichment learned (followers, verified).
    author = fact.get("author") or event.get("author") or {}
    history = {**(fact.get("history") or {}), **(customer.get("history") or {})}
    lines = []
    if note:
        lines += [note, ""]
    lines += [f"Platform: {platform_name(event['platform'])} ({(event.get('kind') or '').replace('_', ' ')})",
              f"Author: {_author_line(author)}"]
    if event.get("url"):
        lines.append(f"Post: {event['url']}")
    lines.append(f"Sentiment: {_sentiment_line(fact.get('sentiment'))}")
    lines += _signal_lines(fact.get("signals") or {})
    if event.get("rating") is not None:
        lines.append(f"Rating: {event['rating']}/5")
    lines.append("History: " + (", ".join(f"{name} {count}" for name, count in sorted(history.items()))
                                or "none recorded"))
    lines.append(f"Loyalty balance: {_balance_line(customer.get('balance') or {})}")
    lines += ["", *(decision_line(d) for d in decisions)]
    if reply:
        lines += ["", "Suggested reply:", reply]
    if remarks:
        lines += ["", *remarks]
    return "\n".join([*lines, "", marker])
