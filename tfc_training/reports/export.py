"""The report's figures as a CSV file, safe to open in a spreadsheet."""

import csv
import io

from flask_babel import gettext as _

from ..organise.export import safe_cell
from .queries import Figure, Report


def report_csv(report: Report) -> str:
    """One line per scope and indicator: the period's value, the previous one and the
    change, and for milestones the day they became true. A period not over is named
    with the day its figures run to, and one not begun has empty values, as on the
    page.

    Text cells (community names, which organisers type) are guarded against formula
    injection; numbers are written as the report computed them, so that a negative
    change stays a number in the spreadsheet.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("Community"),
            _("Section"),
            _("Indicator"),
            _("Period"),
            _("Value"),
            _("Previous period"),
            _("Previous value"),
            _("Change"),
            _("Became true on"),
            _("Sectors or languages"),
        ]
    )
    for scope in report.scopes:
        for indicator in report.indicators:
            figure = report.figure(scope, indicator.key)
            writer.writerow(
                [
                    safe_cell(scope.label),
                    safe_cell(indicator.section),
                    safe_cell(report.line_label(scope, indicator)),
                    safe_cell(report.period_label),
                    number_cell(figure.value),
                    safe_cell(report.previous_label),
                    number_cell(figure.previous),
                    number_cell(figure.change),
                    _became_true(figure),
                    safe_cell(", ".join(figure.details)),
                ]
            )
    return buffer.getvalue()


def number_cell(value) -> str:
    """A figure as the CSV writes it: whole numbers without a decimal point, and
    nothing when there is no figure (a percentage of no answers)."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}"


def _became_true(figure: Figure) -> str:
    return figure.became_true_on.isoformat() if figure.became_true_on else ""
