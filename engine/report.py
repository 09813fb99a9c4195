"""`goodwill report`: the admin page's KPIs as JSON or CSV, for a spreadsheet."""
import csv
import io
import json

from engine import kpis
from engine.db import make_sessionmaker
from engine.settings import Settings


def report(settings: Settings, since: str, output_format: str) -> str:
    """Compute the KPIs over `since` (e.g. 30d) and render them as `json` or `csv`."""
    period = kpis.parse_period(since)
    with make_sessionmaker(settings.database_url)() as session:
        data = kpis.compute(session, period)
    if output_format == "json":
        return json.dumps(data, indent=2)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("section", "name", "value"))
    writer.writerows(("" if v is None else v for v in row) for row in kpis.flatten(data))
    return out.getvalue().rstrip("\n")
