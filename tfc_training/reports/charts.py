"""Bar charts of the report, laid out here and drawn as SVG by a template.

Each chart compares the period with the one before it, one pair of bars per
category. The layout is plain arithmetic, so the chart prints, needs no script and
carries the same numbers as the table shown beside it.
"""

from dataclasses import dataclass

from flask_babel import gettext as _

from ..vocabulary import EVENT_TYPES, SECTORS
from .queries import NO_SECTOR, Report

#: Room for the category names, left of the bars, in SVG units.
LABEL_WIDTH = 190
#: The longest bar; the rest of the width holds the number after the bar.
PLOT_WIDTH = 330
CHART_WIDTH = LABEL_WIDTH + PLOT_WIDTH + 60
BAR_HEIGHT = 14
BAR_GAP = 2
CATEGORY_GAP = 10
#: Height of the legend above the bars.
LEGEND_HEIGHT = 26
#: Category names longer than this are shortened in the drawing; the table has them
#: in full.
LONGEST_LABEL = 30


@dataclass(frozen=True)
class Bar:
    category: str
    series: int
    value: float
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Category:
    label: str
    #: The label as drawn, shortened when it would not fit.
    short_label: str
    #: One value per series, in series order.
    values: tuple
    y: float


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    #: A sentence saying what the chart shows, for its text alternative.
    summary: str
    category_heading: str
    series: tuple[str, ...]
    categories: list[Category]
    bars: list[Bar]
    width: int
    height: int

    @property
    def description(self) -> str:
        """Every number of the chart in words, for people who cannot see it."""
        parts = [
            "{}: {}".format(
                category.label,
                ", ".join(
                    f"{series} {_number(value)}"
                    for series, value in zip(self.series, category.values)
                ),
            )
            for category in self.categories
        ]
        return f"{self.summary} " + "; ".join(parts) + "."


def bar_chart(key, title, summary, category_heading, series, rows) -> Chart:
    """Lay out a horizontal bar chart of ``rows``: (category label, values...)."""
    largest = max((value for _label, *values in rows for value in values), default=0)
    band = len(series) * (BAR_HEIGHT + BAR_GAP) + CATEGORY_GAP
    categories, bars = [], []

    for index, (label, *values) in enumerate(rows):
        top = LEGEND_HEIGHT + index * band
        categories.append(Category(label, _shorten(label), tuple(values), top))
        for number, value in enumerate(values):
            bars.append(
                Bar(
                    category=label,
                    series=number,
                    value=value,
                    x=LABEL_WIDTH,
                    y=top + number * (BAR_HEIGHT + BAR_GAP),
                    width=round(PLOT_WIDTH * value / largest, 1) if largest else 0,
                    height=BAR_HEIGHT,
                )
            )

    return Chart(
        key=key,
        title=title,
        summary=summary,
        category_heading=category_heading,
        series=tuple(series),
        categories=categories,
        bars=bars,
        width=CHART_WIDTH,
        height=LEGEND_HEIGHT + max(len(rows), 1) * band,
    )


def report_charts(report: Report) -> list[Chart]:
    """The four charts of the report: events by type, attendance by sector, training
    per community and stakeholder meetings per community, each for both periods."""
    series = (_("This period"), _("Previous period"))
    whole = report.whole

    def both(scope, key):
        figure = report.figure(scope, key)
        return figure.value, figure.previous

    return [
        bar_chart(
            "events-by-type",
            _("Events held, by type"),
            _("Events held by %(scope)s, by type.", scope=whole.label),
            _("Event type"),
            series,
            [
                (str(label), *both(whole, f"events-{slug}"))
                for slug, label in EVENT_TYPES.items()
            ],
        ),
        bar_chart(
            "attendance-by-sector",
            _("People attending, by sector"),
            _(
                "People checked in at events of %(scope)s, by sector.",
                scope=whole.label,
            ),
            _("Sector"),
            series,
            [
                (str(label), *both(whole, f"attendance-sector-{slug}"))
                for slug, label in {**SECTORS, NO_SECTOR: _("Sector not given")}.items()
            ],
        ),
        bar_chart(
            "training-by-community",
            _("Training modules completed, by community"),
            _("Training modules completed by the leaders of each community."),
            _("Community"),
            series,
            [
                (scope.label, *both(scope, "modules-completed"))
                for scope in report.communities
            ],
        ),
        bar_chart(
            "meetings-by-community",
            _("Stakeholder meetings, by community"),
            _("Stakeholder meetings between two or more sectors, by community."),
            _("Community"),
            series,
            [
                (scope.label, *both(scope, "stakeholder-meetings"))
                for scope in report.communities
            ],
        ),
    ]


def _shorten(label: str) -> str:
    if len(label) <= LONGEST_LABEL:
        return label
    return label[: LONGEST_LABEL - 1].rstrip() + "…"


def _number(value) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
