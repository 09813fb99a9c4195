"""A policy's business hours and holidays, per brand, in the brand's own time zone."""
import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SPAN = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


@dataclass(frozen=True)
class Calendar:
    """Opening hours by weekday (minutes after midnight, local time) and closed dates."""

    timezone: str
    hours: tuple[tuple[tuple[int, int], ...], ...]   # one tuple of (start, end) per weekday
    holidays: frozenset[date]

    def status(self, moment: datetime) -> tuple[bool, str]:
        """Return (open at that moment, a sentence saying why) in the calendar's time zone."""
        local = moment.astimezone(ZoneInfo(self.timezone))
        when = f"{local:%a %d %b %H:%M} in {self.timezone}"
        if local.date() in self.holidays:
            return False, f"{when} is a holiday"
        minute = local.hour * 60 + local.minute
        spans = self.hours[local.weekday()]
        if any(start <= minute < end for start, end in spans):
            return True, f"{when} is within opening hours"
        listed = ", ".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in spans)
        return False, f"{when} is outside opening hours ({listed or 'closed all day'})"


@dataclass(frozen=True)
class BusinessHours:
    """The policy's default calendar and the brands that keep their own."""

    default: Calendar
    brands: tuple[tuple[str, Calendar], ...] = ()

    def for_brand(self, brand: str | None) -> Calendar:
        """Return the brand's calendar (brands compared without case or a leading @)."""
        wanted = (brand or "").lstrip("@").casefold()
        return next((cal for name, cal in self.brands if name == wanted), self.default)


def _days(key: str) -> list[int]:
    """Expand `mon-fri`, `sat`, `mon,wed` into weekday numbers; raise ValueError otherwise."""
    found = []
    for part in key.replace(" ", "").lower().split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"`{key}` is not a day or a range of days (mon, tue, … sun; mon-fri)")
        start, end = DAYS.index(first), DAYS.index(last or first)
        found.extend(range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)])
    return found


def _span(text: str) -> tuple[int, int]:
    match = SPAN.match(text.strip())
    if not match:
        raise ValueError(f"`{text}` is not a span of hours such as 09:00-17:30")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > 24 * 60 or end <= start:
        raise ValueError(f"`{text}` must start before it ends, between 00:00 and 24:00")
    return start, end


class OpenHours(fields.Field):
    """`{mon-fri: "09:00-17:30", sat: ["10:00-12:00", "13:00-16:00"], sun: closed}`."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict) or not value:
            raise ValidationError("give days and hours, such as {mon-fri: \"09:00-17:30\"}")
        week: list[list[tuple[int, int]]] = [[] for _ in DAYS]
        try:
            for key, spans in value.items():
                items = spans if isinstance(spans, list) else [spans]
                parsed = [] if items == ["closed"] else [_span(str(s)) for s in items]
                for day in _days(str(key)):
                    week[day].extend(parsed)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
        return tuple(tuple(sorted(day)) for day in week)


class Holiday(fields.Field):
    """A date: 2026-12-25."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError as exc:
            raise ValidationError(f"`{value}` is not a date such as 2026-12-25") from exc


class CalendarSchema(Schema):
    timezone = fields.String(required=True, metadata={"description": "an IANA time zone"})
    open = OpenHours(required=True, metadata={"description": "opening hours per day"})
    holidays = fields.List(Holiday(), load_default=list, metadata={"description": "closed dates"})

    @staticmethod
    def zone_ok(name: str) -> bool:
        """Tell whether the time zone is known."""
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return False
        return True


class BusinessHoursSchema(CalendarSchema):
    brands = fields.Dict(keys=fields.String(), values=fields.Nested(CalendarSchema),
                         load_default=dict)


def load_business_hours(raw) -> BusinessHours:
    """Validate a policy's `business_hours:` section; raise marshmallow's ValidationError."""
    loaded = BusinessHoursSchema().load(raw)
    wrong = "unknown time zone `{}`; use a name such as Europe/London"
    unknown: dict = {}
    if not CalendarSchema.zone_ok(loaded["timezone"]):
        unknown["timezone"] = [wrong.format(loaded["timezone"])]
    for brand, cal in loaded["brands"].items():
        if not CalendarSchema.zone_ok(cal["timezone"]):
            unknown.setdefault("brands", {})[brand] = {"timezone": [wrong.format(cal["timezone"])]}
    if unknown:
        raise ValidationError(unknown)
    return BusinessHours(_calendar(loaded), tuple(
        (brand.lstrip("@").casefold(), _calendar(cal)) for brand, cal in loaded["brands"].items()))


def _calendar(loaded: dict) -> Calendar:
    return Calendar(loaded["timezone"], loaded["open"], frozenset(loaded["holidays"]))
