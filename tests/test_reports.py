"""The indicators report: exact figures on a known dataset, periods, access, CSV."""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from learning_support import add_module
from report_support import LOS_ANGELES, Builder, build_known_year, local
from sql_support import count_queries
from sqlalchemy import insert

from tfc_training.extensions import db
from tfc_training.indicators.models import Milestone, SurveyResponse
from tfc_training.learning.models import ModuleCompletion
from tfc_training.registration.models import Registration
from tfc_training.reports.periods import (
    PeriodError,
    half_year,
    parse_period,
)
from tfc_training.reports.queries import WHOLE, Figure, build_report

H1_2026 = half_year(2026, 1)


class Admin:
    """A viewer who sees everything, without an account row."""

    is_admin = True
    organised_community_ids = frozenset()


class Organiser:
    is_admin = False

    def __init__(self, *communities):
        self.organised_community_ids = {community.id for community in communities}


def figures(report, scope_key) -> dict:
    """Every indicator of one scope as ``{key: (value, previous)}``."""
    scope = next(scope for scope in report.scopes if scope.key == scope_key)
    return {
        indicator.key: (
            report.figure(scope, indicator.key).value,
            report.figure(scope, indicator.key).previous,
        )
        for indicator in report.indicators
    }


def expected(report, nonzero: dict) -> dict:
    """Every indicator of the report at (0, 0) but those in ``nonzero``."""
    values = {
        indicator.key: (None, None) if indicator.kind == "percent" else (0, 0)
        for indicator in report.indicators
    }
    for key, pair in nonzero.items():
        assert key in values, f"the report has no indicator {key}"
        values[key] = pair
    return values


ALPHA = {
    "milestone-research-completed": (1, 1),
    "milestone-recovery-resources-identified": (1, 0),
    "milestone-key-sectors-chosen": (1, 0),
    "milestone-justice-responders-trained": (1, 0),
    "stakeholder-meetings-outside": (1, 0),
    "survey-answers": (4, 1),
    "survey-knows-hotline": (50.0, 100.0),
    "survey-can-name-sign": (50.0, 100.0),
    "months-with-tfc-meeting": (2, 1),
    "sectors-present": (4, 1),
    "languages-present": (3, 1),
    "stakeholder-meetings": (2, 0),
    "stakeholder-meetings-events": (1, 0),
    "events": (7, 2),
    "events-awareness": (1, 1),
    "events-listening-group": (2, 0),
    "events-tfc-meeting": (3, 1),
    "events-stakeholder-training": (1, 0),
    "attendance": (10, 1),
    "attendance-sector-schools": (4, 0),
    "attendance-sector-media": (2, 0),
    "attendance-sector-none": (1, 0),
    "attendance-sector-law-enforcement": (2, 0),
    "attendance-sector-first-responders": (1, 0),
    "attendance-sector-consumers": (0, 1),
    "attendance-language-en": (6, 1),
    "attendance-language-es": (3, 0),
    "attendance-language-ko": (1, 0),
    "modules-completed": (2, 1),
    "leaders-training": (2, 1),
    "certificates": (1, 0),
    "justice-attendance": (2, 0),
    "justice-attendance-law-enforcement": (1, 0),
    "justice-attendance-first-responders": (1, 0),
}

BETA = {
    "milestone-research-completed": (1, 0),
    "stakeholder-meetings-outside": (0, 1),
    "sectors-present": (2, 1),
    "languages-present": (2, 1),
    "stakeholder-meetings": (1, 1),
    "stakeholder-meetings-events": (1, 0),
    "events": (1, 1),
    "events-stakeholder-meeting": (1, 0),
    "events-workshop": (0, 1),
    "attendance": (2, 1),
    "attendance-sector-faith-ngo": (1, 0),
    "attendance-sector-legislatures": (1, 0),
    "attendance-sector-schools": (0, 1),
    "attendance-language-en": (1, 1),
    "attendance-language-zh": (1, 0),
    "modules-completed": (1, 0),
    "leaders-training": (1, 0),
    "certificates": (1, 0),
}

CITY = {
    # Milestones city-wide: how many communities had reached each.
    "milestone-research-completed": (2, 1),
    "milestone-key-sectors-chosen": (1, 0),
    "milestone-recovery-resources-identified": (1, 0),
    "milestone-justice-responders-trained": (1, 0),
    "stakeholder-meetings-outside": (1, 1),
    "survey-answers": (5, 1),
    "survey-knows-hotline": (40.0, 100.0),
    "survey-can-name-sign": (40.0, 100.0),
    "months-with-tfc-meeting": (2, 1),
    "sectors-present": (7, 2),
    "languages-present": (4, 1),
    "stakeholder-meetings": (3, 1),
    "stakeholder-meetings-events": (2, 0),
    "events": (9, 3),
    "events-awareness": (1, 1),
    "events-listening-group": (2, 0),
    "events-tfc-meeting": (3, 1),
    "events-stakeholder-training": (1, 0),
    "events-stakeholder-meeting": (1, 0),
    "events-campaign": (1, 0),
    "events-workshop": (0, 1),
    "attendance": (13, 2),
    "attendance-sector-schools": (4, 1),
    "attendance-sector-media": (2, 0),
    "attendance-sector-none": (1, 0),
    "attendance-sector-law-enforcement": (2, 0),
    "attendance-sector-first-responders": (1, 0),
    "attendance-sector-faith-ngo": (1, 0),
    "attendance-sector-legislatures": (1, 0),
    "attendance-sector-consumers": (1, 1),
    "attendance-language-en": (8, 2),
    "attendance-language-es": (3, 0),
    "attendance-language-ko": (1, 0),
    "attendance-language-zh": (1, 0),
    # A leader of both communities counts once; one in no community not at all.
    "modules-completed": (2, 1),
    "leaders-training": (2, 1),
    "certificates": (1, 0),
    "justice-attendance": (2, 0),
    "justice-attendance-law-enforcement": (1, 0),
    "justice-attendance-first-responders": (1, 0),
}


@pytest.fixture
def known(app):
    return build_known_year()


def test_every_figure_of_each_community(known):
    """Each community's figures for January–June 2026 and July–December 2025."""
    report = build_report(Admin(), H1_2026)

    assert report.previous == half_year(2025, 2)
    assert figures(report, known.alpha.id) == expected(report, ALPHA)
    assert figures(report, known.beta.id) == expected(report, BETA)


def test_milestones_say_when_they_became_true(known):
    """The earliest record that stands; none for one achieved after the period."""
    report = build_report(Admin(), H1_2026)
    alpha, beta = report.communities

    def became(scope, kind):
        return report.figure(scope, f"milestone-{kind}").became_true_on

    assert became(alpha, "research-completed") == date(2025, 11, 20)
    assert became(alpha, "key-sectors-chosen") == date(2026, 3, 15)
    assert became(alpha, "survivor-referral-ready") is None
    assert became(beta, "research-completed") == date(2026, 1, 5)
    assert became(beta, "recovery-resources-identified") is None
    assert report.figure(alpha, "milestone-key-sectors-chosen").details == (
        "Schools",
        "Law enforcement",
    )
    assert report.figure(alpha, "milestone-recovery-resources-identified").details == (
        "English",
        "Español",
    )

    later = build_report(Admin(), half_year(2026, 2))
    assert later.figure(later.communities[0], "milestone-survivor-referral-ready") == (
        Figure(value=1, previous=0, became_true_on=date(2026, 7, 10))
    )


def test_every_figure_city_wide(known):
    """The city as a whole: both communities and the network's own event."""
    report = build_report(Admin(), H1_2026)

    assert [scope.label for scope in report.scopes] == [
        "City-wide",
        "Alpha TFC",
        "Beta TFC",
    ]
    assert figures(report, WHOLE) == expected(report, CITY)


def test_organiser_sees_only_their_community(known):
    """Together means their communities only: no network event, no other TFC."""
    report = build_report(Organiser(known.alpha), H1_2026)

    assert [scope.key for scope in report.scopes] == [WHOLE, known.alpha.id]
    assert report.scopes[0].label == "Your communities together"
    assert figures(report, WHOLE) == expected(report, ALPHA)


def test_previous_half_year_is_its_own_report(known):
    """Asked for July–December 2025, the figures move one column to the left."""
    report = build_report(Admin(), half_year(2025, 2))

    alpha = figures(report, known.alpha.id)
    assert alpha["events"] == (2, 1)
    assert alpha["attendance"] == (1, 0)
    assert alpha["months-with-tfc-meeting"] == (1, 0)
    assert alpha["modules-completed"] == (1, 0)


def test_custom_range_compares_with_the_days_before(known):
    """February and March 2026, against December 2025 and January 2026."""
    period = parse_period(
        {"start": "2026-02-01", "end": "2026-03-31"}, date(2026, 6, 1)
    )
    report = build_report(Admin(), period)

    assert (report.previous.start, report.previous.end) == (
        date(2025, 12, 4),
        date(2026, 1, 31),
    )
    city = figures(report, WHOLE)
    # February: awareness; March: listening group and the network campaign. Before:
    # the New Year's Eve event and two TFC meetings in January, and Beta's meeting
    # held elsewhere on 31 December.
    assert city["events"] == (3, 3)
    assert city["attendance"] == (6, 1)
    assert city["months-with-tfc-meeting"] == (0, 1)
    assert city["stakeholder-meetings"] == (1, 1)


def test_query_count_does_not_grow_with_the_data(app, make_community, make_event):
    """The report sends as many queries for 5,000 registrations (and survey answers)
    as for 50."""
    community = make_community()
    events = [
        make_event(
            community=community,
            type=event_type,
            starts_at=local(f"2026-0{month}-10 18:00"),
        )
        for month in range(1, 7)
        for event_type in ("awareness", "listening-group", "tfc-meeting")
    ]
    sectors = ["schools", "media", "law-enforcement", "first-responders", None]
    languages = ["en", "es", "ko"]

    def add(count, offset):
        rows = [
            {
                "event_id": events[number % len(events)].id,
                "name": "Someone",
                "email": f"someone{offset + number}@example.org",
                "sector_slug": sectors[number % len(sectors)],
                "language": languages[number % len(languages)],
                "consented_at": events[0].starts_at,
                "status": "confirmed",
                "source": "online",
                "attended_at": events[0].starts_at,
                "created_at": events[0].starts_at,
                "updated_at": events[0].starts_at,
            }
            for number in range(count)
        ]
        db.session.execute(insert(Registration), rows)
        answers = ["yes", "no", "unsure"]
        db.session.execute(
            insert(SurveyResponse),
            [
                {
                    "event_id": events[number % len(events)].id,
                    "knows_hotline": answers[number % 3],
                    "can_name_sign": answers[number % 2],
                    "channel": "event",
                    "submitted_on": date(2026, 1 + number % 6, 11),
                }
                for number in range(count)
            ],
        )
        db.session.execute(
            insert(Milestone),
            [
                {
                    "community_id": community.id,
                    "kind": "research-completed",
                    "achieved_on": date(2026, 1 + number % 6, 1),
                    "note": "",
                    "created_at": events[0].starts_at,
                }
                for number in range(count // 10)
            ],
        )
        db.session.commit()

    add(50, 0)
    small = count_queries(lambda: build_report(Admin(), H1_2026))
    add(4_950, 50)
    large_report = []
    large = count_queries(lambda: large_report.append(build_report(Admin(), H1_2026)))

    assert small == large
    assert figures(large_report[0], WHOLE)["attendance"] == (5_000, 0)
    assert figures(large_report[0], WHOLE)["survey-answers"] == (5_000, 0)


# --- Periods ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "start", "end", "previous_start"),
    [
        ({"period": "2026-H1"}, date(2026, 1, 1), date(2026, 6, 30), date(2025, 7, 1)),
        ({"period": "2026-h2"}, date(2026, 7, 1), date(2026, 12, 31), date(2026, 1, 1)),
        ({}, date(2026, 7, 1), date(2026, 12, 31), date(2026, 1, 1)),
        (
            {"start": "2026-03-01", "end": "2026-03-10"},
            date(2026, 3, 1),
            date(2026, 3, 10),
            date(2026, 2, 19),
        ),
    ],
)
def test_periods(app, args, start, end, previous_start):
    period = parse_period(args, today=date(2026, 12, 4))

    assert (period.start, period.end, period.previous().start) == (
        start,
        end,
        previous_start,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"period": "2026-H3"}, "is not a half year"),
        ({"period": "first half"}, "is not a half year"),
        ({"period": "1999-H1"}, "Reports cover the years 2000 to 2100."),
        ({"start": "2026-03-01"}, "needs both a first and a last day"),
        ({"start": "2026-03-01", "end": "2026-02-30"}, "is not a date"),
        ({"start": "2026-03-01", "end": "2026-02-01"}, "comes before the first day"),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "at most 1100 days"),
        ({"start": "9999-01-01", "end": "9999-01-02"}, "Reports cover the years"),
    ],
)
def test_bad_periods_are_explained(app, args, message):
    with pytest.raises(PeriodError) as refused:
        parse_period(args, today=date(2026, 12, 4))

    assert message in refused.value.message


# --- The pages ----------------------------------------------------------------------


@pytest.fixture
def admin(make_user):
    return make_user(is_admin=True)


def test_page_shows_figures_and_charts(client, login, known, admin):
    login(client, admin)

    response = client.get("/reports/?period=2026-H1")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "January–June 2026, compared with July–December 2025." in html
    assert html.count("<svg") == 4
    assert 'data-chart="events-by-type"' in html
    assert "<title" in html and "<desc" in html


def test_bad_period_on_the_page_is_a_clear_400(client, login, admin):
    login(client, admin)

    response = client.get("/reports/?start=2026-05-01&end=2026-04-01")

    assert response.status_code == 400
    assert "The last day comes before the first day." in response.get_data(as_text=True)


def test_organiser_page_leaves_out_other_communities(client, login, known, make_user):
    organiser = make_user(organises=[known.alpha])
    login(client, organiser)

    html = client.get("/reports/?period=2026-H1").get_data(as_text=True)

    assert "Alpha TFC" in html
    assert "Beta TFC" not in html
    assert "City-wide" not in html


def test_csv_holds_the_same_figures(client, login, known, admin):
    login(client, admin)

    response = client.get("/reports/indicators.csv?period=2026-H1")

    assert response.status_code == 200
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    city_events = next(
        row
        for row in rows
        if row["Community"] == "City-wide" and row["Indicator"] == "Events held"
    )
    assert (
        city_events["Value"],
        city_events["Previous value"],
        city_events["Change"],
    ) == (
        "9",
        "3",
        "6",
    )
    assert {row["Community"] for row in rows} == {"City-wide", "Alpha TFC", "Beta TFC"}


def test_csv_cells_cannot_run_as_formulas(client, login, admin, make_community):
    make_community(slug="formula", name='=HYPERLINK("http://x")')
    login(client, admin)

    body = client.get("/reports/indicators.csv?period=2026-H1").data.decode("utf-8")

    assert "'=HYPERLINK" in body
    assert "\n=HYPERLINK" not in body


def test_csv_refuses_a_bad_period(client, login, admin):
    login(client, admin)

    response = client.get("/reports/indicators.csv?period=soon")

    assert response.status_code == 400
    assert "is not a half year" in response.get_data(as_text=True)


def test_organiser_of_two_communities_sees_both_together(known):
    """Figures add up across their communities; a leader of both counts once."""
    report = build_report(Organiser(known.alpha, known.beta), H1_2026)

    together = figures(report, WHOLE)
    assert [scope.label for scope in report.scopes] == [
        "Your communities together",
        "Alpha TFC",
        "Beta TFC",
    ]
    assert together["events"] == (8, 3)
    assert together["attendance"] == (12, 2)
    assert together["leaders-training"] == (2, 1)
    assert together["milestone-research-completed"] == (2, 1)
    assert together["milestone-recovery-resources-identified"] == (1, 0)
    assert together["survey-answers"] == (4, 1)


# --- The rules the network asked to see, one at a time -----------------------------


def test_listening_group_with_one_sector_is_not_a_stakeholder_meeting(app):
    build = Builder()
    community = build.community("solo", "Solo TFC")
    one_sector = build.event(community, "listening-group", "2026-03-05 17:00")
    build.attend(one_sector, "schools")
    build.attend(one_sector, "schools")
    build.attend(one_sector, None)
    db.session.commit()

    report = build_report(Admin(), H1_2026)

    assert report.figure(report.whole, "stakeholder-meetings") == Figure(0, 0)
    assert report.figure(report.whole, "events-listening-group") == Figure(1, 0)


def test_cancelled_registration_is_not_attendance(app):
    build = Builder()
    community = build.community("solo", "Solo TFC")
    event = build.event(community, "stakeholder-meeting", "2026-03-05 17:00")
    build.attend(event, "schools")
    build.attend(event, "media", status="cancelled")
    db.session.commit()

    report = build_report(Admin(), H1_2026)

    assert report.figure(report.whole, "attendance") == Figure(1, 0)
    assert report.figure(report.whole, "attendance-sector-media") == Figure(0, 0)
    # With the cancelled sign-up left out, one sector was there: no meeting between
    # sectors.
    assert report.figure(report.whole, "stakeholder-meetings") == Figure(0, 0)


def test_milestone_recorded_in_july_is_absent_from_january_to_june(app):
    build = Builder()
    community = build.community("solo", "Solo TFC")
    build.milestone(community, "survivor-referral-ready", "2026-07-01")
    db.session.commit()

    first_half = build_report(Admin(), H1_2026)
    second_half = build_report(Admin(), half_year(2026, 2))

    (scope,) = first_half.communities
    assert first_half.figure(scope, "milestone-survivor-referral-ready") == Figure(0, 0)
    (scope,) = second_half.communities
    assert second_half.figure(scope, "milestone-survivor-referral-ready") == Figure(
        1, 0, became_true_on=date(2026, 7, 1)
    )


# --- Only what has taken place ------------------------------------------------------

#: The moment the following reports are made: 4 December 2026, noon in Los Angeles.
NOW = local("2026-12-04 12:00")
H2_2026 = half_year(2026, 2)


def build_half_with_a_future(build):
    """Events, check-ins and records of July–December 2026, some before ``NOW`` and
    some after it."""
    community = build.community("solo", "Solo TFC")
    for start in ("2026-07-09 18:00", "2026-11-12 18:00", "2026-12-17 18:00"):
        build.event(community, "tfc-meeting", start)
    past = build.event(community, "stakeholder-meeting", "2026-12-03 17:00")
    build.attend(past, "schools")
    build.attend(past, "media")
    # Checked in on the day, before it starts: not yet held, so not yet attendance.
    later_today = build.event(community, "stakeholder-meeting", "2026-12-04 17:00")
    build.attend(later_today, "schools")
    build.attend(later_today, "law-enforcement")
    under_way = build.event(community, "awareness", "2026-12-04 11:30")
    build.attend(under_way, "consumers")
    build.event(community, "awareness", "2026-12-20 10:00")
    build.event(community, "awareness", "2027-02-20 10:00")
    db.session.commit()
    return community


def test_events_after_now_are_not_held(app):
    build = Builder()
    build_half_with_a_future(build)

    report = build_report(Admin(), H2_2026, now=NOW)

    whole = report.whole
    # The meetings of July and November; December's is still to come.
    assert report.figure(whole, "events-tfc-meeting") == Figure(2, 0)
    assert report.figure(whole, "months-with-tfc-meeting") == Figure(2, 0)
    # The awareness event under way counts; the one on the 20th does not.
    assert report.figure(whole, "events-awareness") == Figure(1, 0)
    assert report.figure(whole, "events-stakeholder-meeting") == Figure(1, 0)
    assert report.figure(whole, "events") == Figure(4, 0)
    assert report.figure(whole, "attendance") == Figure(3, 0)
    assert report.figure(whole, "attendance-sector-law-enforcement") == Figure(0, 0)
    assert report.figure(whole, "stakeholder-meetings") == Figure(1, 0)
    assert report.begun and not report.over
    assert report.period_label == "July–December 2026, so far (as of 2026-12-04)"


def test_the_same_events_count_once_the_period_is_over(app):
    build = Builder()
    build_half_with_a_future(build)

    report = build_report(Admin(), H2_2026, now=local("2027-01-05 09:00"))

    whole = report.whole
    assert report.figure(whole, "events-tfc-meeting") == Figure(3, 0)
    assert report.figure(whole, "months-with-tfc-meeting") == Figure(3, 0)
    assert report.figure(whole, "events") == Figure(7, 0)
    assert report.figure(whole, "stakeholder-meetings") == Figure(2, 0)
    assert report.over
    assert report.period_label == "July–December 2026"


def test_records_dated_after_today_are_not_counted(app):
    """Records the forms refuse to date in the future (milestones, meetings held
    elsewhere, survey answers, training) are cut at today all the same."""
    build = Builder()
    community = build.community("solo", "Solo TFC")
    event = build.event(community, "awareness", "2026-11-10 18:00")
    build.milestone(community, "research-completed", "2026-12-10")
    build.milestone(community, "survivor-referral-ready", "2026-12-01")
    build.outside_meeting(community, "2026-12-11", ["schools", "media"])
    build.outside_meeting(community, "2026-12-02", ["schools", "media"])
    build.answer(event, "2026-12-05", "yes", "yes")
    build.answer(event, "2026-11-10", "no", "yes")
    leader = build.leader("leader@example.org", community)
    module = add_module("report-future", position=1, lessons=1, questions=1)
    db.session.add(
        ModuleCompletion(
            user_id=leader.id,
            module_id=module.id,
            module_version=1,
            completed_at=local("2026-12-06 10:00"),
        )
    )
    db.session.commit()

    report = build_report(Admin(), H2_2026, now=NOW)

    (scope,) = report.communities
    assert report.figure(scope, "milestone-research-completed") == Figure(0, 0)
    assert report.figure(scope, "milestone-survivor-referral-ready").value == 1
    assert report.figure(scope, "stakeholder-meetings-outside") == Figure(1, 0)
    assert report.figure(scope, "survey-answers") == Figure(1, 0)
    assert report.figure(scope, "modules-completed") == Figure(0, 0)


def test_a_period_not_begun_has_no_figures(app):
    build = Builder()
    build_half_with_a_future(build)

    report = build_report(Admin(), half_year(2027, 1), now=NOW)

    assert not report.begun
    assert report.period_label == "January–June 2027 (not begun)"
    for scope in report.scopes:
        for indicator in report.indicators:
            figure = report.figure(scope, indicator.key)
            assert figure.value is None, indicator.key
    # The half year before is under way: counted so far.
    assert report.figure(report.whole, "events") == Figure(None, 4)


def test_page_and_csv_say_a_period_is_counted_so_far(client, login, admin):
    today = datetime.now(LOS_ANGELES).date()
    build = Builder()
    community = build.community("solo", "Solo TFC")
    build.event(community, "awareness", f"{today - timedelta(days=10)} 18:00")
    build.event(community, "awareness", f"{today + timedelta(days=10)} 18:00")
    db.session.commit()
    login(client, admin)
    days = f"start={today - timedelta(days=20)}&end={today + timedelta(days=20)}"
    label = (
        f"{today - timedelta(days=20)} to {today + timedelta(days=20)},"
        f" so far (as of {today})"
    )

    html = client.get(f"/reports/?{days}").get_data(as_text=True)

    assert label in html
    assert f"so far, up to {today}. Events that have not started yet" in html
    body = client.get(f"/reports/indicators.csv?{days}").data.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    held = next(
        row
        for row in rows
        if row["Community"] == "City-wide" and row["Indicator"] == "Events held"
    )
    assert (held["Value"], held["Period"]) == ("1", label)
    # Part of a period is not set against the whole one before it.
    assert held["Change"] == ""


def test_page_and_csv_of_a_period_not_begun_show_no_results(client, login, admin):
    build = Builder()
    community = build.community("solo", "Solo TFC")
    build.event(community, "awareness", "2099-02-10 18:00")
    db.session.commit()
    login(client, admin)

    html = client.get("/reports/?period=2099-H1").get_data(as_text=True)

    assert "January–June 2099 has not begun: nothing has been held in it yet." in html
    assert "<svg" not in html
    assert 'data-indicator="events"' not in html
    body = client.get("/reports/indicators.csv?period=2099-H1").data.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    assert rows and all(row["Value"] == "" for row in rows)
    assert {row["Period"] for row in rows} == {"January–June 2099 (not begun)"}
