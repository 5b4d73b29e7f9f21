"""The indicators report: the page with its charts, and the CSV export.

Admins see every community and the city as a whole; organisers the communities they
organise. Both pages read the period from the query string and change nothing.
"""

import logging

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.access import require_organiser
from ..database import utcnow
from ..learning.services import network_day
from .charts import report_charts
from .export import number_cell, report_csv
from .periods import PeriodError, current_half, half_year, parse_period
from .queries import build_report

logger = logging.getLogger(__name__)

bp = Blueprint("reports", __name__, url_prefix="/reports")

#: The first half year offered in the period chooser.
FIRST_HALF_YEAR = 2024


@bp.after_request
def keep_private(response):
    """The figures are the network's own: keep them out of caches and search engines."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.app_template_filter("figure")
def figure_filter(value, kind=None):
    """``{{ value|figure }}``: a figure as written in the report and its data
    attributes; ``{{ value|figure(kind) }}`` as shown to people, with a dash for no
    figure and a percent sign on percentages."""
    if value is None:
        return "" if kind is None else "–"
    text = number_cell(value)
    if kind == "percent":
        return _("%(number)s %%", number=text)
    return text


@bp.app_template_filter("change")
def change_filter(value):
    """``{{ figure.change|change }}``: a difference with its sign, such as +3 or −2."""
    if value is None:
        return ""
    text = number_cell(abs(value))
    if value > 0:
        return f"+{text}"
    if value < 0:
        return f"\u2212{text}"
    return text


@bp.get("/")
def report():
    """Every indicator for the chosen period and the one before, with charts."""
    require_organiser()
    today = network_day(utcnow())

    try:
        period = parse_period(request.args, today)
    except PeriodError as error:
        return (
            render_template(
                "reports/report.html",
                error=error.message,
                report=None,
                charts=[],
                halves=_half_years(today),
                chosen=request.args,
            ),
            400,
        )

    built = build_report(current_user, period)
    return render_template(
        "reports/report.html",
        error=None,
        report=built,
        # A period not yet begun has no figures to draw.
        charts=report_charts(built) if built.begun else [],
        halves=_half_years(today),
        chosen=period.query_args(),
    )


@bp.get("/indicators.csv")
def export():
    """The same figures as a CSV file, one line per community and indicator."""
    require_organiser()

    try:
        period = parse_period(request.args, network_day(utcnow()))
    except PeriodError as error:
        return Response(error.message, status=400, mimetype="text/plain")

    built = build_report(current_user, period)
    logger.info("account %s exported the indicators report", current_user.id)
    name = f"indicators-{period.half or f'{period.start}-{period.end}'}.csv"
    # The byte-order mark tells Excel on Windows that the file is UTF-8.
    return Response(
        "\ufeff".encode() + report_csv(built).encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _half_years(today):
    """The half years the chooser offers, newest first, up to the current one."""
    current = current_half(today)
    halves = []
    for year in range(current.start.year, FIRST_HALF_YEAR - 1, -1):
        for half in (2, 1):
            period = half_year(year, half)
            if period.start <= current.start:
                halves.append(period)
    return halves
