"""The indicators, counted in the database with aggregates.

Each query groups by community, by period and by whatever the indicator is split by
(event type, sector, language), so the rows that come back are bounded by the
vocabulary and the number of communities, never by the number of events or people.
A report sends the same fixed number of queries whatever the amount of data.

The report's period and the one before it are adjacent, so every query reads the
span from the start of the previous period to the end of the current one and says
in a ``CASE`` which of the two each row belongs to.

Every indicator counts only what has taken place by the moment the report is made:
an event is held once it has started, so a period not yet over is counted so far and
one that has not begun has no figures at all. Events scheduled later are plans, not
results, and a report handed to the board must not present them as done.
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    String,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    select,
    true,
    union,
    union_all,
)

from ..accounts.models import Membership
from ..communities.models import Community
from ..database import utcnow
from ..events.models import Event
from ..extensions import db
from ..indicators.models import (
    MILESTONE_KINDS,
    Milestone,
    MilestoneLanguage,
    OutsideMeeting,
    SurveyResponse,
    milestone_sector,
    outside_meeting_sector,
)
from ..learning.models import Certificate, ModuleCompletion
from ..registration.models import Registration
from ..vocabulary import EVENT_TYPES, LANGUAGES, SECTORS
from .periods import Period, local_midnight

#: Which of the two periods a row falls in.
CURRENT = 1
PREVIOUS = 0

#: The key of the figures that cover every community the viewer may see together.
WHOLE = "whole"

#: Event types whose meetings count as stakeholder meetings when two or more
#: sectors are present.
MEETING_TYPES = ("stakeholder-meeting", "listening-group")

#: Sectors that count as "police, prosecutors, judges and first responders".
JUSTICE_SECTORS = ("law-enforcement", "first-responders")

#: Key used for attendees who gave no sector.
NO_SECTOR = "none"


@dataclass(frozen=True)
class Indicator:
    """One line of the report: what is counted, under which heading."""

    key: str
    label: str
    section: str
    #: ``count``, ``percent``, ``months`` (months with a meeting) or ``milestone``.
    kind: str = "count"
    #: Indented under the line before it, as one of its parts.
    part: bool = False


@dataclass(frozen=True)
class Figure:
    """An indicator's value in the period and in the one before it.

    Milestones are 1 (true) or 0 with ``became_true_on``; percentages are ``None``
    when nobody answered, and every value is ``None`` for a period not yet begun.
    """

    value: float | None
    previous: float | None
    became_true_on: date | None = None
    #: For a milestone: the sectors or languages its records name, as labels.
    details: tuple[str, ...] = ()
    #: Whether the two values measure spans alike, so that their difference means
    #: something: a count of a period not over is not set against a whole one.
    comparable: bool = field(default=True, compare=False)

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None or not self.comparable:
            return None
        return round(self.value - self.previous, 1)


@dataclass(frozen=True)
class Scope:
    """Whose figures a column of the report holds: one community, or all together."""

    key: int | str
    label: str
    community: Community | None = None


@dataclass
class Report:
    """Every indicator for every scope, for a period and the one before it."""

    period: Period
    previous: Period
    scopes: list[Scope]
    indicators: list[Indicator]
    #: The network's day on which the report was made: nothing after it is counted.
    as_of: date
    figures: dict[tuple, Figure] = field(default_factory=dict)

    @property
    def begun(self) -> bool:
        """Whether any of the period has passed, so that it can have figures."""
        return self.period.start <= self.as_of

    @property
    def over(self) -> bool:
        """Whether the whole period has passed, so that its figures are final."""
        return self.period.end < self.as_of

    @property
    def period_label(self) -> str:
        return self.label_of(self.period)

    @property
    def previous_label(self) -> str:
        return self.label_of(self.previous)

    def label_of(self, period: Period) -> str:
        """The period's name, saying when its figures are only so far or none yet."""
        if self.as_of < period.start:
            return str(_l("%(period)s (not begun)", period=period.label))
        if self.as_of <= period.end:
            return str(
                _l(
                    "%(period)s, so far (as of %(day)s)",
                    period=period.label,
                    day=self.as_of.isoformat(),
                )
            )
        return period.label

    def figure(self, scope: Scope, key: str) -> Figure:
        return self.figures[(scope.key, key)]

    @property
    def whole(self) -> Scope:
        return self.scopes[0]

    @property
    def communities(self) -> list[Scope]:
        return self.scopes[1:]

    def line_label(self, scope: Scope, indicator: Indicator) -> str:
        """The indicator's name on ``scope``'s line: for several communities a
        milestone is the number of communities that reached it."""
        if indicator.kind == "milestone" and scope.community is None:
            return str(_l("%(milestone)s: communities", milestone=indicator.label))
        return str(indicator.label)

    def sections(self) -> list[tuple[str, list[Indicator]]]:
        """The indicators grouped under their headings, in report order."""
        grouped: dict[str, list[Indicator]] = {}
        for indicator in self.indicators:
            grouped.setdefault(indicator.section, []).append(indicator)
        return list(grouped.items())


# --- Headings -----------------------------------------------------------------------

PARTICIPATION = _l("Meeting consistently, with diverse participation")
STAKEHOLDER_MEETINGS = _l("Stakeholder meetings between two or more sectors")
EVENTS = _l("Community engagement events and attendance")
TRAINING = _l("Ongoing leadership training")
JUSTICE = _l("Police, prosecutors, judges and first responders trained")
MILESTONES = _l("Milestones")
SURVEY = _l("What residents know, from the survey after awareness events")

#: The milestones, with their headings and how the report names them.
MILESTONE_LINES = {
    "research-completed": (MILESTONES, _l("Research and discovery process completed")),
    "key-sectors-chosen": (MILESTONES, _l("One or two key stakeholder sectors chosen")),
    "survivor-referral-ready": (MILESTONES, _l("Able to refer and support survivors")),
    "recovery-resources-identified": (
        MILESTONES,
        _l("Recovery resources identified, in survivors' languages"),
    ),
    "justice-responders-trained": (
        JUSTICE,
        _l("Recorded as trained (milestone)"),
    ),
}

#: Survey questions: the column of the answer and the line of the report.
SURVEY_QUESTIONS = {
    "knows_hotline": _l("Know how to reach the trafficking hotline"),
    "can_name_sign": _l("Can name a sign of trafficking"),
}


class _Tally:
    """Numbers and sets gathered from the grouped rows, by scope, indicator and period."""

    def __init__(self):
        self.numbers: dict[tuple, float] = defaultdict(int)
        self.sets: dict[tuple, set] = defaultdict(set)

    def add(self, community_id, key: str, period: int, amount: int) -> None:
        """Add to one community's figure and to the whole; network events (no
        community) count in the whole only."""
        if community_id is not None:
            self.numbers[(community_id, key, period)] += amount
        self.numbers[(WHOLE, key, period)] += amount

    def collect(self, community_id, key: str, period: int, item) -> None:
        """Note ``item`` in a set whose size is the figure (distinct sectors...)."""
        if community_id is not None:
            self.sets[(community_id, key, period)].add(item)
        self.sets[(WHOLE, key, period)].add(item)

    def put(self, scope_key, key: str, period: int, amount: int) -> None:
        """Set a figure counted for one scope on its own, such as distinct people."""
        self.numbers[(scope_key, key, period)] = amount

    def count(self, scope_key, key: str, period: int) -> int:
        if (scope_key, key, period) in self.sets:
            return len(self.sets[(scope_key, key, period)])
        return self.numbers.get((scope_key, key, period), 0)


def build_report(viewer, period: Period, now: datetime | None = None) -> Report:
    """Every indicator for the communities ``viewer`` may see, for ``period`` and the
    one before it, counting what had taken place by ``now`` (by default, the present).

    Admins see every community and the city as a whole, network events included;
    organisers their own communities and those together.
    """
    previous = period.previous()
    community_ids = None if viewer.is_admin else sorted(viewer.organised_community_ids)
    now = now or utcnow()
    span = _Span(
        previous, period, ZoneInfo(current_app.config["DEFAULT_TIMEZONE"]), now
    )

    scopes = [_whole_scope(viewer)] + [
        Scope(key=community.id, label=community.name, community=community)
        for community in _communities(community_ids)
    ]
    tally = _Tally()
    _count_events(tally, span, community_ids)
    _count_attendance(tally, span, community_ids)
    _count_stakeholder_meetings(tally, span, community_ids)
    _count_training(tally, span, community_ids)
    _count_outside_meetings(tally, span, community_ids)
    _count_survey(tally, span, community_ids)
    became_true = _milestones_reached(span.last_day, community_ids)
    details = _milestone_details(span.last_day, community_ids)

    indicators = _indicators(period, tally)
    report = Report(period, previous, scopes, indicators, as_of=span.today)
    for scope in scopes:
        for indicator in indicators:
            figure = _figure(tally, became_true, details, report, scope, indicator)
            # A period that has not begun has no results yet, rather than zeros
            # that would read as a count of nothing done.
            if span.today < previous.start:
                figure = replace(figure, previous=None)
            if span.today < period.start:
                figure = replace(figure, value=None, became_true_on=None, details=())
            # Milestones and shares read the same part way through a period; a
            # count does not, and would show a fall every month until the end.
            elif not report.over and indicator.kind not in ("milestone", "percent"):
                figure = replace(figure, comparable=False)
            report.figures[(scope.key, indicator.key)] = figure
    return report


def _figure(tally, became_true, details, report, scope, indicator) -> Figure:
    """One scope's figure for one indicator, from what the queries gathered."""
    key = indicator.key
    if indicator.kind == "milestone":
        kind = key.removeprefix("milestone-")
        if scope.community is None:
            # For several communities together: how many have reached it.
            days = [
                day
                for (community_id, reached), day in became_true.items()
                if reached == kind
            ]
            return Figure(
                value=sum(day <= report.period.end for day in days),
                previous=sum(day <= report.previous.end for day in days),
            )
        day = became_true.get((scope.key, kind))
        return Figure(
            value=int(day is not None),
            previous=int(day is not None and day <= report.previous.end),
            became_true_on=day,
            details=tuple(details.get((scope.key, kind), ())),
        )
    if indicator.kind == "percent":
        return Figure(
            value=_percent(tally, scope.key, key, CURRENT),
            previous=_percent(tally, scope.key, key, PREVIOUS),
        )
    return Figure(
        value=tally.count(scope.key, key, CURRENT),
        previous=tally.count(scope.key, key, PREVIOUS),
    )


def _percent(tally, scope_key, key: str, period: int) -> float | None:
    """The share of "yes" answers, in percent to one decimal; none without answers."""
    answers = tally.count(scope_key, "survey-answers", period)
    if not answers:
        return None
    return round(100 * tally.count(scope_key, f"{key}-count", period) / answers, 1)


def _whole_scope(viewer) -> Scope:
    if viewer.is_admin:
        return Scope(key=WHOLE, label=str(_l("City-wide")))
    return Scope(key=WHOLE, label=str(_l("Your communities together")))


def _communities(community_ids) -> list[Community]:
    statement = select(Community).order_by(Community.name, Community.id)
    if community_ids is not None:
        statement = statement.where(Community.id.in_(community_ids))
    return list(db.session.scalars(statement))


def _indicators(period: Period, tally: _Tally) -> list[Indicator]:
    """The report's lines, in the order of the network's list of indicators.

    Languages are listed only when someone in the report spoke them, so that a
    dozen empty lines do not hide the ones that matter.
    """
    months = len(period.months())
    indicators = [
        Indicator(
            "months-with-tfc-meeting",
            _l("Months with a TFC meeting (of %(months)s)", months=months),
            PARTICIPATION,
            kind="months",
        ),
        Indicator("sectors-present", _l("Sectors among attendees"), PARTICIPATION),
        Indicator("languages-present", _l("Languages among attendees"), PARTICIPATION),
        Indicator(
            "stakeholder-meetings", _l("Stakeholder meetings"), STAKEHOLDER_MEETINGS
        ),
        Indicator(
            "stakeholder-meetings-events",
            _l("held as events, two or more sectors checked in"),
            STAKEHOLDER_MEETINGS,
            part=True,
        ),
        Indicator(
            "stakeholder-meetings-outside",
            _l("held elsewhere, as recorded by the community"),
            STAKEHOLDER_MEETINGS,
            part=True,
        ),
        Indicator("events", _l("Events held"), EVENTS),
    ]
    indicators += [
        Indicator(f"events-{slug}", label, EVENTS, part=True)
        for slug, label in EVENT_TYPES.items()
    ]
    indicators.append(Indicator("attendance", _l("People attending"), EVENTS))
    indicators += [
        Indicator(f"attendance-sector-{slug}", label, EVENTS, part=True)
        for slug, label in {**SECTORS, NO_SECTOR: _l("Sector not given")}.items()
    ]
    spoken = {
        key.removeprefix("attendance-language-")
        for (_scope, key, _period), amount in tally.numbers.items()
        if key.startswith("attendance-language-") and amount
    }
    indicators += [
        Indicator(
            f"attendance-language-{code}",
            _l("in %(language)s", language=name),
            EVENTS,
            part=True,
        )
        for code, name in LANGUAGES.items()
        if code in spoken
    ]
    indicators += [
        Indicator("modules-completed", _l("Training modules completed"), TRAINING),
        Indicator("leaders-training", _l("Leaders who completed a module"), TRAINING),
        Indicator("certificates", _l("Certificates of the full training"), TRAINING),
        Indicator(
            "justice-attendance",
            _l("Attended a stakeholder training"),
            JUSTICE,
        ),
    ]
    indicators += [
        Indicator(f"justice-attendance-{slug}", SECTORS[slug], JUSTICE, part=True)
        for slug in JUSTICE_SECTORS
    ]
    indicators += [
        Indicator(
            f"milestone-{kind}",
            MILESTONE_LINES[kind][1],
            MILESTONE_LINES[kind][0],
            kind="milestone",
        )
        for kind in MILESTONE_KINDS
    ]
    indicators.append(Indicator("survey-answers", _l("Survey answers"), SURVEY))
    indicators += [
        Indicator(
            f"survey-{column.replace('_', '-')}",
            _l("%(question)s: “yes”", question=label),
            SURVEY,
            kind="percent",
            part=True,
        )
        for column, label in SURVEY_QUESTIONS.items()
    ]
    # Sections follow the network's numbering of its indicators, with the yes/no
    # milestones together after the first; within a section the order stays.
    order = [
        PARTICIPATION,
        MILESTONES,
        STAKEHOLDER_MEETINGS,
        EVENTS,
        SURVEY,
        TRAINING,
        JUSTICE,
    ]
    return sorted(indicators, key=lambda indicator: order.index(indicator.section))


# --- Periods in SQL -----------------------------------------------------------------


class _Span:
    """The two periods' bounds, as instants for timestamps and as days for dates,
    cut short at ``now``: what lies after it has not taken place."""

    def __init__(self, previous: Period, period: Period, zone: ZoneInfo, now):
        self.previous = previous
        self.period = period
        self.zone = zone
        self.start, self.split = previous.utc_bounds(zone)
        self.end = min(period.utc_bounds(zone)[1], now)
        self.today = now.astimezone(zone).date()
        #: The last day whose dated records count: today, or the period's end.
        self.last_day = min(period.end, self.today)

    def holds(self, column):
        """A condition: the instant in ``column`` lies in one of the two periods,
        and has passed."""
        return and_(column >= self.start, column < self.end)

    def which(self, column):
        """``CURRENT`` or ``PREVIOUS`` for the instant in ``column``."""
        return case((column >= self.split, literal(CURRENT)), else_=literal(PREVIOUS))

    def holds_day(self, column):
        return and_(column >= self.previous.start, column <= self.last_day)

    def which_day(self, column):
        return case(
            (column >= self.period.start, literal(CURRENT)), else_=literal(PREVIOUS)
        )

    def month_buckets(self) -> list[tuple[int, tuple[int, int]]]:
        """Each stretch between month starts and period bounds: its period and month.

        Bucket ``i`` runs from the ``i``-th bound to the next; every bucket lies
        within one month of one period.
        """
        buckets = []
        for which, period in ((PREVIOUS, self.previous), (CURRENT, self.period)):
            buckets += [(which, month) for month in period.months()]
        return buckets

    def month_of(self, column):
        """The index into :meth:`month_buckets` of the instant in ``column``."""
        bounds = []
        for period in (self.previous, self.period):
            for number, (year, month) in enumerate(period.months()):
                first = date(year, month, 1) if number else period.start
                bounds.append(local_midnight(first, self.zone))
        # The latest bound the instant has passed names its bucket.
        whens = [
            (column >= bound, literal(index))
            for index, bound in reversed(list(enumerate(bounds)))
        ]
        return case(*whens, else_=literal(0))


def _in_scope(column, community_ids):
    """A condition keeping rows of the communities in view (all for ``None``)."""
    if community_ids is None:
        return true()
    return column.in_(community_ids)


def _grouped(rows, *names, counts=()):
    """Group the subquery ``rows`` by its columns ``names`` and count its rows, or
    ``counts``: pairs of a column name and whether to count distinct values.

    The grouping is done outside the subquery that computes the period or month of
    each row: PostgreSQL would not accept the same ``CASE`` with its own bound
    parameters in both the select list and the GROUP BY.
    """
    keys = [rows.c[name] for name in names]
    aggregates = [
        func.count(distinct(rows.c[name])) if unique else func.count(rows.c[name])
        for name, unique in counts
    ] or [func.count()]
    return db.session.execute(select(*keys, *aggregates).group_by(*keys)).all()


# --- The counts ---------------------------------------------------------------------


def _count_events(tally: _Tally, span: _Span, community_ids) -> None:
    """Events held, by type, and the months in which each TFC met.

    An event is held when it is published (not a draft, not cancelled), starts in
    the period and has started by now. An event under way counts: its check-ins
    count as attendance, and the two figures must agree.
    """
    rows = (
        select(
            Event.community_id,
            Event.type,
            span.month_of(Event.starts_at).label("bucket"),
        )
        .where(
            Event.status == "published",
            span.holds(Event.starts_at),
            _in_scope(Event.community_id, community_ids),
        )
        .subquery()
    )
    buckets = span.month_buckets()
    for community_id, event_type, bucket, amount in _grouped(
        rows, "community_id", "type", "bucket"
    ):
        which, month_key = buckets[bucket]
        tally.add(community_id, "events", which, amount)
        tally.add(community_id, f"events-{event_type}", which, amount)
        if event_type == "tfc-meeting":
            tally.collect(community_id, "months-with-tfc-meeting", which, month_key)


def _attendances(span: _Span, community_ids):
    """Check-ins that still stand, at events of the two periods that have started.

    Erased registrations count: only their personal fields are gone.
    """
    return (
        select(
            Registration.id,
            Registration.event_id,
            Registration.sector_slug,
            Registration.language,
            Event.community_id,
            Event.type,
            Event.starts_at,
            span.which(Event.starts_at).label("which"),
        )
        .select_from(Registration)
        .join(Event, Registration.event_id == Event.id)
        .where(
            Registration.attended_at.is_not(None),
            Registration.status != "cancelled",
            Event.status == "published",
            span.holds(Event.starts_at),
            _in_scope(Event.community_id, community_ids),
        )
    )


def _count_attendance(tally: _Tally, span: _Span, community_ids) -> None:
    """People checked in, by sector and by language, and the justice sectors at
    stakeholder trainings."""
    rows = _attendances(span, community_ids).subquery()

    for community_id, which, event_type, sector, amount in _grouped(
        rows, "community_id", "which", "type", "sector_slug"
    ):
        tally.add(community_id, "attendance", which, amount)
        tally.add(
            community_id, f"attendance-sector-{sector or NO_SECTOR}", which, amount
        )
        if sector:
            tally.collect(community_id, "sectors-present", which, sector)
        if event_type == "stakeholder-training" and sector in JUSTICE_SECTORS:
            tally.add(community_id, "justice-attendance", which, amount)
            tally.add(community_id, f"justice-attendance-{sector}", which, amount)

    for community_id, which, language, amount in _grouped(
        rows, "community_id", "which", "language"
    ):
        tally.add(community_id, f"attendance-language-{language}", which, amount)
        tally.collect(community_id, "languages-present", which, language)


def _count_stakeholder_meetings(tally: _Tally, span: _Span, community_ids) -> None:
    """Stakeholder meetings and listening groups at which people of two or more
    sectors were checked in. One sector alone is a meeting, but not one between
    sectors."""
    attendances = _attendances(span, community_ids).subquery()
    meetings = (
        select(attendances.c.community_id, attendances.c.which)
        .where(
            attendances.c.type.in_(MEETING_TYPES),
            attendances.c.sector_slug.is_not(None),
        )
        .group_by(
            attendances.c.event_id, attendances.c.community_id, attendances.c.which
        )
        .having(func.count(distinct(attendances.c.sector_slug)) >= 2)
        .subquery()
    )
    for community_id, which, amount in _grouped(meetings, "community_id", "which"):
        tally.add(community_id, "stakeholder-meetings", which, amount)
        tally.add(community_id, "stakeholder-meetings-events", which, amount)


def _count_training(tally: _Tally, span: _Span, community_ids) -> None:
    """Modules completed and certificates issued by the leaders of each community.

    A leader who belongs to two communities counts in both, and once in the whole;
    that is why the whole is counted by a query of its own rather than added up.
    """
    member_in_scope = _in_scope(Membership.community_id, community_ids)

    def by_community(model, moment, person, *conditions):
        return (
            select(
                # As text, so that it unites with the whole's key.
                cast(Membership.community_id, String).label("scope"),
                span.which(moment).label("which"),
                model.id.label("item"),
                person.label("person"),
            )
            .select_from(model)
            .join(Membership, Membership.user_id == person)
            .where(span.holds(moment), member_in_scope, *conditions)
        )

    def in_whole(model, moment, person, *conditions):
        leader = (
            select(Membership.user_id)
            .where(Membership.user_id == person, member_in_scope)
            .exists()
        )
        return select(
            literal(WHOLE).label("scope"),
            span.which(moment).label("which"),
            model.id.label("item"),
            person.label("person"),
        ).where(span.holds(moment), leader, *conditions)

    completions = (
        ModuleCompletion,
        ModuleCompletion.completed_at,
        ModuleCompletion.user_id,
    )
    rows = union_all(by_community(*completions), in_whole(*completions)).subquery()
    for scope, which, completed, leaders in _grouped(
        rows, "scope", "which", counts=[("item", False), ("person", True)]
    ):
        tally.put(_scope_key(scope), "modules-completed", which, completed)
        tally.put(_scope_key(scope), "leaders-training", which, leaders)

    certificates = (Certificate, Certificate.issued_at, Certificate.user_id)
    valid = Certificate.revoked_at.is_(None)
    rows = union_all(
        by_community(*certificates, valid),
        in_whole(*certificates, valid),
    ).subquery()
    for scope, which, issued in _grouped(rows, "scope", "which"):
        tally.put(_scope_key(scope), "certificates", which, issued)


def _scope_key(scope: str):
    return WHOLE if scope == WHOLE else int(scope)


def _count_outside_meetings(tally: _Tally, span: _Span, community_ids) -> None:
    """Stakeholder meetings a community recorded as held elsewhere, when two or more
    sectors took part, leaving out the ones withdrawn."""
    sectors = (
        select(func.count())
        .where(outside_meeting_sector.c.outside_meeting_id == OutsideMeeting.id)
        .scalar_subquery()
    )
    rows = (
        select(
            OutsideMeeting.community_id,
            span.which_day(OutsideMeeting.held_on).label("which"),
        )
        .where(
            span.holds_day(OutsideMeeting.held_on),
            OutsideMeeting.withdrawn_at.is_(None),
            sectors >= 2,
            _in_scope(OutsideMeeting.community_id, community_ids),
        )
        .subquery()
    )
    for community_id, which, amount in _grouped(rows, "community_id", "which"):
        tally.add(community_id, "stakeholder-meetings", which, amount)
        tally.add(community_id, "stakeholder-meetings-outside", which, amount)


def _count_survey(tally: _Tally, span: _Span, community_ids) -> None:
    """Survey answers, and how many said "yes" to each question, by the community
    that held the event."""
    rows = (
        select(
            Event.community_id,
            span.which_day(SurveyResponse.submitted_on).label("which"),
            SurveyResponse.knows_hotline,
            SurveyResponse.can_name_sign,
        )
        .select_from(SurveyResponse)
        .join(Event, SurveyResponse.event_id == Event.id)
        .where(
            span.holds_day(SurveyResponse.submitted_on),
            _in_scope(Event.community_id, community_ids),
        )
        .subquery()
    )
    for community_id, which, hotline, sign, amount in _grouped(
        rows, "community_id", "which", "knows_hotline", "can_name_sign"
    ):
        tally.add(community_id, "survey-answers", which, amount)
        if hotline == "yes":
            tally.add(community_id, "survey-knows-hotline-count", which, amount)
        if sign == "yes":
            tally.add(community_id, "survey-can-name-sign-count", which, amount)


def _milestones_reached(last_day: date, community_ids) -> dict[tuple[int, str], date]:
    """The day each community's milestones became true, up to ``last_day``: the
    period's last day, or today if sooner.

    A milestone achieved after that day does not count, nor does a withdrawn record.
    """
    rows = db.session.execute(
        select(Milestone.community_id, Milestone.kind, func.min(Milestone.achieved_on))
        .where(
            Milestone.withdrawn_at.is_(None),
            Milestone.achieved_on <= last_day,
            _in_scope(Milestone.community_id, community_ids),
        )
        .group_by(Milestone.community_id, Milestone.kind)
    )
    return {(community_id, kind): day for community_id, kind, day in rows}


def _milestone_details(last_day: date, community_ids) -> dict[tuple[int, str], list]:
    """The sectors (key sectors chosen, justice sectors trained) and languages
    (recovery resources) that each community's standing milestones name, up to
    ``last_day``."""
    standing = and_(
        Milestone.withdrawn_at.is_(None),
        Milestone.achieved_on <= last_day,
        _in_scope(Milestone.community_id, community_ids),
    )
    sectors = (
        select(
            Milestone.community_id,
            Milestone.kind,
            literal("sector").label("what"),
            milestone_sector.c.sector_slug.label("code"),
        )
        .join(milestone_sector, milestone_sector.c.milestone_id == Milestone.id)
        .where(standing)
    )
    languages = (
        select(
            Milestone.community_id,
            Milestone.kind,
            literal("language").label("what"),
            MilestoneLanguage.code.label("code"),
        )
        .join(MilestoneLanguage, MilestoneLanguage.milestone_id == Milestone.id)
        .where(standing)
    )
    found = set(db.session.execute(union(sectors, languages)))

    # In the vocabulary's order: sectors by the network's numbering, then languages.
    order = {("sector", code): n for n, code in enumerate(SECTORS)}
    order.update({("language", code): 100 + n for n, code in enumerate(LANGUAGES)})
    details: dict[tuple[int, str], list] = defaultdict(list)
    for community_id, kind, what, code in sorted(
        found, key=lambda row: order.get((row[2], row[3]), 999)
    ):
        label = SECTORS[code] if what == "sector" else LANGUAGES.get(code, code)
        details[(community_id, kind)].append(str(label))
    return details
