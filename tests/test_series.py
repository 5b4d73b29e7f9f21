"""Repeating events: the rule, its dates, changing one date or the rest, and feeds."""

import html
import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from organise_support import (
    add_registration,
    build_site,
    field_errors,
    form_data,
    fresh,
    local,
    log_in,
    new_event_data,
    outbox,
)
from series_support import (
    LA,
    expanded,
    in_database,
    make_series,
    occurrences,
    series_row,
    unfolded_lines,
)
from sql_support import count_queries

from tfc_training.events.models import Event
from tfc_training.events.recurrence import (
    MAX_OCCURRENCES,
    WEEKDAY_CODES,
    Rule,
    RuleError,
    describe,
    local_starts,
    rule_from_mapping,
    rule_from_rrule,
    rule_to_text,
)
from tfc_training.extensions import db
from tfc_training.organise.series import split_series
from tfc_training.organise.services import ActionRefused, cancel_event, update_event
from tfc_training.registration.models import Registration

#: Every other Wednesday through 2031: across the spring (9 March) and autumn
#: (2 November) changes of the clocks in Los Angeles.
FORTNIGHTLY = Rule("weekly", every=2, weekdays=("WE",), until=date(2031, 12, 31))
FIRST = datetime(2031, 1, 8, 18, 30)
FIRST_END = datetime(2031, 1, 8, 20, 0)


@pytest.fixture
def site(make_community, make_user, make_event, now):
    return build_site(make_community, make_user, make_event, now)


def fortnightly(site, now, **changes):
    return make_series(
        site.home, site.organiser, now, FORTNIGHTLY, FIRST, FIRST_END, **changes
    )


# --- The rule ---------------------------------------------------------------------


def test_a_weekly_rule_keeps_its_local_time_across_both_clock_changes():
    starts = local_starts(FORTNIGHTLY, FIRST)

    assert starts[0] == FIRST
    assert starts[-1] == datetime(2031, 12, 24, 18, 30)
    assert {start.time() for start in starts} == {time(18, 30)}
    offsets = {start.replace(tzinfo=LA).utcoffset() for start in starts}
    assert offsets == {timedelta(hours=-8), timedelta(hours=-7)}


def test_a_monthly_rule_on_the_second_tuesday():
    rule = Rule("monthly", weekdays=("TU",), week_of_month=2, count=4)

    starts = local_starts(rule, datetime(2031, 1, 1, 18, 0))

    assert [start.date() for start in starts] == [
        date(2031, 1, 14),
        date(2031, 2, 11),
        date(2031, 3, 11),
        date(2031, 4, 8),
    ]


def test_a_series_starts_on_the_first_date_its_rule_gives():
    rule = Rule("weekly", weekdays=("WE",), count=2)

    starts = local_starts(rule, datetime(2031, 1, 9, 18, 0))  # a Thursday

    assert [start.date() for start in starts] == [date(2031, 1, 15), date(2031, 1, 22)]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (Rule("weekly", count=3), "Choose the days of the week"),
        (Rule("weekly", weekdays=("WE",)), "End the repetition"),
        (
            Rule("weekly", weekdays=("WE",), until=date(2031, 1, 1), count=2),
            "End the repetition",
        ),
        (Rule("monthly", count=3), "either on a day of the month or on a weekday"),
        (Rule("weekly", weekdays=("WE",), count=MAX_OCCURRENCES + 1), "at most 104"),
        (
            Rule("weekly", weekdays=("WE",), until=date(2034, 1, 1)),
            "at most 104 dates within two years",
        ),
        (
            Rule("weekly", weekdays=("WE",), until=date(2030, 1, 1)),
            "must end after its first date",
        ),
    ],
)
def test_rules_that_cannot_be_used_are_refused_with_a_reason(app, rule, message):
    with pytest.raises(RuleError, match=message):
        local_starts(rule, FIRST)


def test_a_rule_is_read_from_yaml_words_and_from_rrule_text():
    words = rule_from_mapping(
        {"every": "2 weeks", "on": ["wednesday"], "until": date(2031, 6, 30)}
    )
    text = rule_from_rrule("FREQ=WEEKLY;INTERVAL=2;BYDAY=WE;UNTIL=20310630")
    monthly = rule_from_mapping({"every": "month", "on": "second tuesday", "count": 12})

    assert words == text == Rule("weekly", 2, ("WE",), until=date(2031, 6, 30))
    assert monthly == Rule("monthly", 1, ("TU",), week_of_month=2, count=12)
    assert rule_from_rrule(rule_to_text(monthly)) == monthly


# --- Making a series ---------------------------------------------------------------


def test_each_date_of_a_series_is_an_event_of_its_own(app, site, now):
    series = fortnightly(site, now)

    dates = occurrences(series.id)
    assert len(dates) == len(local_starts(FORTNIGHTLY, FIRST))
    assert dates[0].slug == "koreatown-tfc-meeting-2031-01-08"
    assert all(event.starts_at == event.recurrence_id for event in dates)
    assert {event.local_start.time() for event in dates} == {time(18, 30)}
    assert {event.ends_at - event.starts_at for event in dates} == {
        timedelta(minutes=90)
    }


def test_sign_up_windows_follow_each_date(app, site, now):
    opens = datetime(2031, 1, 1, 9, 0, tzinfo=LA).astimezone(UTC)
    series = fortnightly(site, now, registration_opens_at=opens)

    second = occurrences(series.id)[1]
    assert second.registration_opens_at == second.starts_at - (
        occurrences(series.id)[0].starts_at - opens
    )


# --- One date -----------------------------------------------------------------------


def test_cancelling_one_date_tells_its_registrants_and_leaves_the_others(
    app, site, now
):
    series = fortnightly(site, now)
    _first, second, third = occurrences(series.id)[:3]
    add_registration(second, email="ana@example.org")
    add_registration(third, email="ben@example.org")
    sequence = series_row(series.id).sequence

    cancel_event(fresh(Event, second.id), actor=site.organiser, now=now)
    db.session.commit()

    dates = occurrences(series.id)
    assert [e.status for e in dates[:3]] == ["published", "cancelled", "published"]
    cancelled = outbox("event-cancelled")
    assert [m.recipient for m in cancelled] == ["ana@example.org"]
    assert series_row(series.id).sequence > sequence


def test_cancelling_a_date_says_the_other_dates_stay(client, site, now):
    series = fortnightly(site, now)
    second = occurrences(series.id)[1]
    log_in(client, site.organiser)

    page = client.get(f"/organise/events/{second.slug}/cancel")

    assert "only this date is cancelled" in page.get_data(as_text=True)
    # Nobody signed up for it, so there is nobody to e-mail.
    assert "The 0 people" not in page.get_data(as_text=True)
    assert "Nobody has signed up" in page.get_data(as_text=True)


def test_a_cancelled_date_is_an_exdate_of_the_series_in_the_feed(
    app, client, site, now
):
    series = fortnightly(site, now)
    second = occurrences(series.id)[1]
    cancel_event(second, actor=site.organiser, now=now)
    db.session.commit()

    body = client.get("/calendar.ics").data

    lines = unfolded_lines(body)
    assert "EXDATE;TZID=America/Los_Angeles:20310122T183000" in lines
    assert sum(line.startswith("EXDATE") for line in lines) == 1
    assert sum(line.startswith("UID:series-") for line in lines) == 1
    assert expanded(body) == in_database(occurrences(series.id))


def test_moving_one_date_keeps_its_recurrence_id_and_tells_registrants(
    app, client, site, now
):
    series = fortnightly(site, now)
    second = occurrences(series.id)[1]
    add_registration(second, email="ana@example.org")
    new_start = datetime(2031, 1, 23, 19, 0, tzinfo=LA).astimezone(UTC)

    update_event(
        fresh(Event, second.id),
        {
            "starts_at": new_start,
            "ends_at": new_start + timedelta(hours=1),
            "venue_name": "Library",
        },
        actor=site.organiser,
        now=now,
    )
    db.session.commit()

    moved = fresh(Event, second.id)
    assert moved.recurrence_id == datetime(2031, 1, 23, 2, 30, tzinfo=UTC)
    assert [m.recipient for m in outbox("event-changed")] == ["ana@example.org"]

    body = client.get("/calendar.ics").data
    lines = unfolded_lines(body)
    assert "RECURRENCE-ID;TZID=America/Los_Angeles:20310122T183000" in lines
    assert "DTSTART;TZID=America/Los_Angeles:20310123T190000" in lines
    assert sum(line.startswith("UID:series-") for line in lines) == 2
    assert expanded(body) == in_database(occurrences(series.id))


def test_registering_for_one_date_of_a_full_series_leaves_the_others_open(
    app, client, site, now
):
    series = fortnightly(site, now, capacity=1)
    first, second = occurrences(series.id)[:2]
    add_registration(first, email="ana@example.org")

    response = client.post(
        f"/events/{first.slug}/register",
        data={
            "name": "Ben",
            "email": "ben@example.org",
            "sector": "schools",
            "language": "en",
            "consent": "y",
        },
    )
    assert response.status_code == 200
    response = client.post(
        f"/events/{second.slug}/register",
        data={
            "name": "Cy",
            "email": "cy@example.org",
            "sector": "schools",
            "language": "en",
            "consent": "y",
        },
    )
    assert response.status_code == 200

    db.session.rollback()
    by_event = {
        (r.event_id, r.email): r.status for r in db.session.query(Registration).all()
    }
    assert by_event == {
        (first.id, "ana@example.org"): "confirmed",
        (first.id, "ben@example.org"): "waitlisted",
        (second.id, "cy@example.org"): "confirmed",
    }
    others = [e.id for e in occurrences(series.id)[2:]]
    assert (
        not db.session.query(Registration)
        .filter(Registration.event_id.in_(others))
        .count()
    )


# --- The rest of a series -------------------------------------------------------------


def test_editing_a_series_from_a_date_onward_keeps_earlier_dates(
    app, client, site, now
):
    series = fortnightly(site, now)
    dates = occurrences(series.id)
    fourth = dates[3]
    signed_up = add_registration(dates[5], email="ana@example.org")
    before = [(e.id, e.starts_at, e.title, e.sequence) for e in dates[:3]]
    start = datetime.combine(fourth.local_start.date(), time(19, 0), tzinfo=LA)
    values = {
        "slug": "koreatown-tfc-meeting",
        "title": "TFC meeting (new room)",
        "timezone": "America/Los_Angeles",
        "starts_at": start.astimezone(UTC),
        "ends_at": (start + timedelta(hours=2)).astimezone(UTC),
        "venue_name": "Library",
    }

    new = split_series(
        fresh(Event, fourth.id),
        values,
        Rule("weekly", every=2, weekdays=("WE",), until=date(2031, 6, 30)),
        actor=site.organiser,
        now=now,
    )
    db.session.commit()

    old = series_row(series.id)
    assert old.until == date(2031, 2, 18)
    assert [(e.id, e.starts_at, e.title, e.sequence) for e in occurrences(old.id)] == (
        before
    )
    later = occurrences(new.id)
    assert later[0].id == fourth.id
    assert {e.local_start.time() for e in later} == {time(19, 0)}
    assert {e.title for e in later} == {"TFC meeting (new room)"}
    assert later[-1].local_start.date() == date(2031, 6, 25)
    assert new.uid != old.uid
    # Her sign-up stays, on its date's new time, and she is told of the change.
    assert fresh(Registration, signed_up.id).event.series_id == new.id
    assert [m.recipient for m in outbox("event-changed")] == ["ana@example.org"]
    # Dates beyond the new end that nobody signed up for are gone.
    assert (
        not db.session.query(Event)
        .filter(Event.series_id.is_(None))
        .filter(Event.slug.like("koreatown-tfc-meeting-%"))
        .count()
    )

    body = client.get("/calendar.ics").data
    lines = unfolded_lines(body)
    assert "RRULE:FREQ=WEEKLY;UNTIL=20310219T023000Z;INTERVAL=2;BYDAY=WE" in lines
    assert expanded(body) == in_database(occurrences(old.id) + later)


def test_a_date_that_disappears_from_the_series_is_cancelled_for_its_registrants(
    app, site, now
):
    series = fortnightly(site, now)
    dates = occurrences(series.id)
    last = dates[-1]
    add_registration(last, email="ana@example.org")

    split_series(
        fresh(Event, dates[3].id),
        {
            "slug": "koreatown-tfc-meeting",
            "timezone": "America/Los_Angeles",
            "starts_at": dates[3].starts_at,
            "ends_at": dates[3].ends_at,
        },
        Rule("weekly", every=2, weekdays=("WE",), count=3),
        actor=site.organiser,
        now=now,
    )
    db.session.commit()

    gone = fresh(Event, last.id)
    assert gone.status == "cancelled"
    assert gone.series_id is None
    assert [m.recipient for m in outbox("event-cancelled")] == ["ana@example.org"]


# --- Feeds ----------------------------------------------------------------------------


def test_the_feed_writes_one_master_with_a_utc_until(app, client, site, now):
    fortnightly(site, now)

    body = client.get("/calendar.ics").data

    lines = unfolded_lines(body)
    assert "DTSTART;TZID=America/Los_Angeles:20310108T183000" in lines
    assert "RRULE:FREQ=WEEKLY;UNTIL=20320101T023000Z;INTERVAL=2;BYDAY=WE" in lines
    assert "BEGIN:VTIMEZONE" in lines


def test_the_feed_gives_the_database_dates_across_both_clock_changes(
    app, client, site, now
):
    series = fortnightly(site, now)

    body = client.get("/calendar.ics").data

    found = expanded(body)
    assert found == in_database(occurrences(series.id))
    local_times = {start.astimezone(LA).time() for start, *_ in found}
    assert local_times == {time(18, 30)}


def test_the_feed_reads_a_series_in_the_same_number_of_queries_whatever_its_length(
    app, client, site, now
):
    short = Rule("weekly", weekdays=("WE",), count=3)
    make_series(site.home, site.organiser, now, short, FIRST, FIRST_END)
    db.session.rollback()
    with_3 = count_queries(lambda: client.get("/calendar.ics"))

    long = Rule("weekly", weekdays=("TH",), count=40)
    make_series(site.home, site.organiser, now, long, FIRST, FIRST_END, slug="another")
    db.session.rollback()
    with_43 = count_queries(lambda: client.get("/calendar.ics"))

    assert with_43 == with_3


def test_personal_and_single_event_feeds_write_plain_dates(app, client, site, now):
    series = fortnightly(site, now)
    second = occurrences(series.id)[1]

    body = client.get(f"/events/{second.slug}.ics").data

    lines = unfolded_lines(body)
    assert not any(line.startswith("RRULE") for line in lines)
    assert expanded(body) == in_database([second])


def test_the_page_of_a_date_links_the_next_dates(app, client, site, now):
    series = fortnightly(site, now)
    first, second, third = occurrences(series.id)[:3]

    html = client.get(f"/events/{first.slug}/").get_data(as_text=True)

    assert "part of a series: Every 2 weeks on Wednesday, until 2031-12-31" in html
    assert f"/events/{second.slug}/" in html
    assert f"/events/{third.slug}/" in html


# --- The organiser's form -------------------------------------------------------------


def repeating(site, **changes):
    data = new_event_data(
        site.home,
        title="Koreatown TFC meeting",
        starts_at="2031-01-14T18:00",
        ends_at="2031-01-14T19:30",
        repeat="monthly-weekday",
        repeat_every="1",
        repeat_until="2031-12-31",
    )
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def test_the_form_makes_a_monthly_series_on_the_second_tuesday(client, site):
    log_in(client, site.organiser)

    response = client.post("/organise/events/new", data=repeating(site))

    assert response.status_code == 303
    db.session.rollback()
    dates = db.session.query(Event).filter(Event.series_id.isnot(None)).all()
    assert len(dates) == 12
    assert {e.status for e in dates} == {"draft"}
    assert all(e.local_start.weekday() == 1 for e in dates)
    assert all(8 <= e.local_start.day <= 14 for e in dates)

    client.post(f"/organise/events/{dates[0].slug}/publish")
    db.session.rollback()
    assert {
        e.status for e in db.session.query(Event).filter(Event.series_id.isnot(None))
    } == {"published"}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"repeat_count": "5"},
            "repeat_until",
            "Give either the last date or the number of times, not both.",
        ),
        (
            {"repeat_until": ""},
            "repeat_until",
            "Say when the series ends: give the last date or the number of times.",
        ),
        (
            {"repeat_until": "2034-01-01"},
            "repeat",
            "A series can have at most 104 dates within two years.",
        ),
        (
            {"repeat_until": "", "repeat_count": "105"},
            "repeat_count",
            "Enter a number from 1 to 104.",
        ),
        (
            {"repeat_every": "0"},
            "repeat_every",
            "Enter a number from 1 to 12.",
        ),
        (
            {"repeat_until": "2030-12-01"},
            "repeat",
            "The repetition must end after its first date.",
        ),
        (
            {
                "all_day": "y",
                "start_date": "2031-01-14",
                "starts_at": "",
                "ends_at": "",
            },
            "repeat",
            "A repeating event needs a start and end time",
        ),
    ],
)
def test_the_form_explains_a_repetition_it_cannot_make(
    client, site, changes, field, message
):
    log_in(client, site.organiser)

    response = client.post("/organise/events/new", data=repeating(site, **changes))

    assert response.status_code == 400
    assert message in field_errors(response.get_data(as_text=True), field)
    db.session.rollback()
    assert not db.session.query(Event).filter(Event.series_id.isnot(None)).count()


def test_the_form_of_a_date_offers_this_date_or_every_later_one(client, site, now):
    series = fortnightly(site, now)
    second = occurrences(series.id)[1]
    log_in(client, site.organiser)

    page = client.get(f"/organise/events/{second.slug}/edit").get_data(as_text=True)

    assert "This date is part of a series: Every 2 weeks on Wednesday" in page
    assert 'type="radio"' in page
    assert 'value="following"' in page
    assert '<option selected value="weekly">' in page


def test_the_form_moves_one_date_only(client, site, now):
    series = fortnightly(site, now)
    second = occurrences(series.id)[1]
    log_in(client, site.organiser)

    response = client.post(
        f"/organise/events/{second.slug}/edit",
        data=form_data(
            second,
            starts_at="2031-01-23T19:00",
            ends_at="2031-01-23T20:30",
            scope="this",
        ),
    )

    assert response.status_code == 303
    dates = occurrences(series.id)
    assert dates[1].local_start == datetime(2031, 1, 23, 19, 0, tzinfo=LA)
    assert dates[1].recurrence_id == second.recurrence_id
    assert dates[2].local_start.time() == time(18, 30)


def test_the_form_changes_every_later_date(client, site, now):
    series = fortnightly(site, now)
    fourth = occurrences(series.id)[3]
    log_in(client, site.organiser)

    response = client.post(
        f"/organise/events/{fourth.slug}/edit",
        data=form_data(
            fourth,
            starts_at=local(fourth.starts_at, fourth)[:11] + "19:00",
            ends_at=local(fourth.starts_at, fourth)[:11] + "20:00",
            scope="following",
            repeat="weekly",
            repeat_every="2",
            repeat_weekdays=["WE"],
            repeat_until="2031-04-30",
        ),
    )

    assert response.status_code == 303, response.get_data(as_text=True)
    assert series_row(series.id).until == fourth.local_start.date() - timedelta(days=1)
    moved = fresh(Event, fourth.id)
    assert moved.series_id != series.id
    assert moved.local_start.time() == time(19, 0)
    assert occurrences(moved.series_id)[-1].local_start.date() == date(2031, 4, 30)


# --- Imports ----------------------------------------------------------------------------

SERIES_FILE = """\
communities:
  - slug: harbor
    name: TraffickFree Harbor
    area: San Pedro
events:
  - slug: harbor-tfc-meeting
    title: Harbor TFC meeting
    type: tfc-meeting
    community: harbor
    sectors: [consumers]
    languages: [en]
    start: 2031-01-01 18:00
    end: 2031-01-01 19:30
    venue:
      name: Harbor Community Room
    repeat: {every: month, on: second tuesday, count: 6}
"""


def import_yaml(runner, tmp_path, text):
    path = tmp_path / "series.yaml"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(args=["events", "import", str(path)])


def test_a_yaml_file_makes_a_series_and_importing_it_again_changes_nothing(
    runner, tmp_path
):
    first = import_yaml(runner, tmp_path, SERIES_FILE)

    assert first.exit_code == 0, first.output
    assert "Events: 6 created, 0 updated, 0 unchanged." in first.output
    db.session.rollback()
    dates = db.session.query(Event).order_by(Event.starts_at).all()
    assert [e.slug for e in dates[:2]] == [
        "harbor-tfc-meeting-2031-01-14",
        "harbor-tfc-meeting-2031-02-11",
    ]
    assert {e.status for e in dates} == {"published"}

    again = import_yaml(runner, tmp_path, SERIES_FILE)

    assert again.exit_code == 0, again.output
    assert "Events: 0 created, 0 updated, 6 unchanged." in again.output


def test_a_yaml_file_with_a_new_rule_changes_the_series_from_its_next_date(
    runner, tmp_path
):
    import_yaml(runner, tmp_path, SERIES_FILE)
    changed = SERIES_FILE.replace(
        "{every: month, on: second tuesday, count: 6}",
        "{every: month, on: last thursday, until: 2031-03-31}",
    )

    result = import_yaml(runner, tmp_path, changed)

    assert result.exit_code == 0, result.output
    db.session.rollback()
    dates = [
        e.local_start.date()
        for e in db.session.query(Event)
        .filter(Event.series_id.isnot(None))
        .order_by(Event.starts_at)
    ]
    assert dates == [date(2031, 1, 30), date(2031, 2, 27), date(2031, 3, 27)]


@pytest.mark.parametrize(
    ("repeat", "message"),
    [
        (
            "{every: fortnight, on: [wednesday], count: 3}",
            "series.yaml:16: repeat: Say how often in “every”",
        ),
        (
            "{every: 2 weeks, on: [wednesday]}",
            "series.yaml:16: repeat: End the repetition on a date or after",
        ),
        (
            "{every: 2 weeks, on: [someday], count: 3}",
            "series.yaml:16: repeat: Name weekdays in “on”",
        ),
        (
            "{every: week, on: [monday], until: 2034-01-01}",
            "series.yaml:16: repeat: A series can have at most 104 dates",
        ),
        (
            "{every: week, on: [monday], count: 3, at: noon}",
            "series.yaml:16: repeat: Unknown key at",
        ),
    ],
)
def test_a_bad_repetition_in_yaml_is_named_by_its_line(
    runner, tmp_path, repeat, message
):
    text = SERIES_FILE.replace("{every: month, on: second tuesday, count: 6}", repeat)

    result = import_yaml(runner, tmp_path, text)

    assert result.exit_code != 0
    assert message in result.output
    db.session.rollback()
    assert not db.session.query(Event).count()


def csv_upload(client, text):
    return client.post(
        "/organise/import",
        data={"file": (io.BytesIO(text.encode()), "events.csv")},
        content_type="multipart/form-data",
    )


CSV_HEADER = "slug,title,type,community,sectors,languages,start,end,venue_name,repeat\n"


def test_a_csv_row_makes_a_series_from_rrule_text(client, site):
    log_in(client, site.organiser)
    text = CSV_HEADER + (
        "kt-team,Team meeting,tfc-meeting,koreatown,consumers,en,"
        "2031-01-07 18:00,2031-01-07 19:00,Hall,"
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE;UNTIL=20310331\n"
    )

    response = csv_upload(client, text)

    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.rollback()
    dates = db.session.query(Event).filter(Event.slug.like("kt-team-%")).all()
    assert sorted(e.local_start.date() for e in dates) == [
        date(2031, 1, 8) + timedelta(weeks=2 * n) for n in range(6)
    ]


@pytest.mark.parametrize(
    ("repeat", "message"),
    [
        ("FREQ=DAILY;COUNT=3", "events.csv:3: repeat: FREQ must be WEEKLY or MONTHLY."),
        ("FREQ=WEEKLY;BYDAY=XX;COUNT=3", "events.csv:3: repeat: Name weekdays"),
        ("FREQ=WEEKLY;BYDAY=WE;COUNT=200", "events.csv:3: repeat: Repeat at most 104"),
        ("FREQ=MONTHLY;COUNT=3", "events.csv:3: repeat: Repeat monthly either"),
        ("every week", "events.csv:3: repeat: Write the repetition as FREQ="),
    ],
)
def test_a_bad_repetition_in_csv_is_named_by_its_line(client, site, repeat, message):
    log_in(client, site.organiser)
    good = (
        "kt-one,One,awareness,koreatown,consumers,en,"
        "2031-01-07 18:00,2031-01-07 19:00,Hall,\n"
    )
    bad = (
        "kt-team,Team meeting,tfc-meeting,koreatown,consumers,en,"
        f'2031-01-07 18:00,2031-01-07 19:00,Hall,"{repeat}"\n'
    )

    response = csv_upload(client, CSV_HEADER + good + bad)

    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))
    db.session.rollback()
    assert not db.session.query(Event).filter(Event.slug.like("kt-%")).count()


def test_a_series_is_not_changed_from_a_date_that_has_begun(app, site, now):
    start = (now - timedelta(days=7)).astimezone(LA).replace(tzinfo=None)
    series = make_series(
        site.home,
        site.organiser,
        now - timedelta(days=8),
        Rule("weekly", weekdays=(WEEKDAY_CODES[start.weekday()],), count=4),
        start,
        start + timedelta(hours=1),
    )
    past = occurrences(series.id)[0]

    with pytest.raises(ActionRefused, match="already begun"):
        split_series(
            past,
            {
                "slug": "koreatown-tfc-meeting",
                "timezone": "America/Los_Angeles",
                "starts_at": past.starts_at,
                "ends_at": past.ends_at,
            },
            Rule("weekly", weekdays=("MO",), count=2),
            actor=site.organiser,
            now=now,
        )


def test_a_rule_says_how_many_times_in_words_that_agree(app):
    once = Rule(freq="weekly", weekdays=("WE",), count=1)
    twice = Rule(freq="weekly", weekdays=("WE",), count=2)

    assert describe(once).endswith(", 1 time")
    assert describe(twice).endswith(", 2 times")
