"""The registrant list as CSV, and importing events from CSV (web and command line)."""

import csv
import html
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from organise_support import (
    add_registration,
    audit_actions,
    build_site,
    count,
    fresh,
    log_in,
    outbox,
)
from sqlalchemy import select

from tfc_training.events.models import Event
from tfc_training.extensions import db
from tfc_training.organise.export import safe_cell

LOS_ANGELES = ZoneInfo("America/Los_Angeles")

HEADER = (
    "slug,title,type,community,sectors,languages,start,end,venue_name,capacity,status"
)


@pytest.fixture
def app_config(tmp_path):
    return {"MAIL_FOLDER": str(tmp_path / "mail")}


@pytest.fixture
def site(make_community, make_user, make_event, now):
    return build_site(make_community, make_user, make_event, now)


@pytest.fixture
def organiser(client, site):
    return log_in(client, site.organiser)


def export(client, event, **args):
    return client.get(
        f"/organise/events/{event.slug}/registrants.csv", query_string=args
    )


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def upload(client, text: str | bytes, name="events.csv"):
    body = text.encode() if isinstance(text, str) else text
    return client.post(
        "/organise/import",
        data={"file": (io.BytesIO(body), name)},
        content_type="multipart/form-data",
    )


# --- Export ----------------------------------------------------------------------


def test_the_export_is_a_private_utf8_attachment_that_excel_reads(organiser, site):
    add_registration(site.event, name="Zoë Ñúñez")
    add_registration(site.event, name="김민지")

    response = export(organiser, site.event)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="listening-group-registrants.csv"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    # Excel on Windows reads a file without a byte-order mark in the local code
    # page, which mangles accented and Korean names.
    assert response.data.startswith(b"\xef\xbb\xbfName,")
    assert response.data.count(b"\xef\xbb\xbf") == 1
    assert "Zoë Ñúñez".encode() in response.data
    assert "김민지".encode() in response.data


def test_the_export_has_the_columns_of_the_list(organiser, site):
    confirmed = add_registration(
        site.event,
        name="Ana Díaz",
        email="ana@example.org",
        sector_slug="media",
        language="es",
        accessibility="Wheelchair access",
    )
    add_registration(
        site.event, status="waitlisted", name="Bo Chen", email="bo@example.org"
    )
    organiser_checked_in = confirmed.created_at

    rows = rows_of(export(organiser, site.event))

    assert rows[0] == [
        "Name",
        "E-mail",
        "Status",
        "Waiting position",
        "Sector",
        "Language",
        "Accessibility needs",
        "Signed up",
        "Checked in",
    ]
    signed_up = organiser_checked_in.astimezone(LOS_ANGELES).isoformat(
        timespec="minutes"
    )
    assert rows[1] == [
        "Ana Díaz",
        "ana@example.org",
        "confirmed",
        "",
        "Media",
        "Español",
        "Wheelchair access",
        signed_up,
        "",
    ]
    assert rows[2][:4] == ["Bo Chen", "bo@example.org", "waiting list", "1"]


def test_the_export_follows_the_status_filter(organiser, site):
    add_registration(site.event, name="Ana Díaz")
    add_registration(site.event, status="waitlisted", name="Bo Chen")

    response = export(organiser, site.event, status="waitlisted")

    assert [row[0] for row in rows_of(response)[1:]] == ["Bo Chen"]
    assert (
        'filename="listening-group-waitlisted.csv"'
        in response.headers["Content-Disposition"]
    )


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://x")', "+1+2", "-3", "@SUM(A1)", "\tTab", "\rReturn"]
)
def test_cells_that_a_spreadsheet_would_run_are_defused(organiser, site, name):
    add_registration(site.event, name=name, accessibility=name)

    row = rows_of(export(organiser, site.event))[1]

    assert row[0] == "'" + name
    assert row[6] == "'" + name


@pytest.mark.parametrize(
    "value, written",
    [("Ana", "Ana"), ("=1", "'=1"), ("a=1", "a=1"), ("", ""), (3, "3"), ("-", "'-")],
)
def test_safe_cell(value, written):
    assert safe_cell(value) == written


def test_another_communitys_organiser_cannot_export(client, site):
    add_registration(site.event, name="Ana Díaz")
    log_in(client, site.other_organiser)

    response = export(client, site.event)

    assert response.status_code == 403
    assert b"Ana" not in response.data


# --- Import ----------------------------------------------------------------------


def row(**cells) -> list[str]:
    """One row of an import file under :data:`HEADER`: a good event, then changed."""
    values = {
        "slug": "kt-x",
        "title": "Awareness evening",
        "type": "awareness",
        "community": "koreatown",
        "sectors": "schools",
        "languages": "en",
        "start": "2031-02-03 17:00",
        "end": "2031-02-03 19:00",
        "venue_name": "Hall",
        "capacity": "",
        "status": "",
        **cells,
    }
    return [values[column] for column in HEADER.split(",")]


def csv_text(*rows, header=HEADER) -> str:
    buffer = io.StringIO()
    buffer.write(header + "\n")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


GOOD_FILE = csv_text(
    row(
        slug="kt-listening",
        title="Listening group",
        type="listening-group",
        sectors="schools;law-enforcement",
        languages="es|en",
        venue_name="Youth Center",
        capacity="30",
    ),
    row(
        slug="kt-draft",
        title="Planning, with a comma",
        type="tfc-meeting",
        sectors="faith-ngo",
        start="2031-02-10 18:00",
        end="2031-02-10 19:30",
        venue_name="Church hall",
        status="draft",
    ),
)


def test_a_good_file_creates_its_events(organiser, site):
    response = upload(organiser, GOOD_FILE)

    assert response.status_code == 303
    listening = db.session.scalar(select(Event).where(Event.slug == "kt-listening"))
    assert listening.status == "published"
    assert listening.community_id == site.home.id
    assert listening.sector_slugs == ["schools", "law-enforcement"]
    assert listening.language_codes == ["es", "en"]
    assert listening.local_start == datetime(2031, 2, 3, 17, 0, tzinfo=LOS_ANGELES)
    assert listening.capacity == 30
    draft = db.session.scalar(select(Event).where(Event.slug == "kt-draft"))
    assert (draft.title, draft.status, draft.capacity) == (
        "Planning, with a comma",
        "draft",
        None,
    )
    assert audit_actions(listening) == ["event.created"]
    page = organiser.get("/organise/").get_data(as_text=True)
    assert "Events: 2 created, 0 updated, 0 unchanged." in page


def test_a_file_from_a_spreadsheet_with_a_byte_order_mark_is_read(organiser, site):
    response = upload(
        organiser, b"\xef\xbb\xbf" + GOOD_FILE.replace("\n", "\r\n").encode()
    )

    assert response.status_code == 303
    assert count(Event) == 5


def test_an_all_day_event_and_an_online_one(organiser, site):
    text = (
        "slug,title,type,community,sectors,languages,all_day,start_date,end_date,"
        "online_url,description\n"
        "kt-drive,Fair-trade drive,campaign,koreatown,consumers,en,yes,2031-04-04,"
        '2031-04-05,https://meet.example.org/drive,"Two\n\nparagraphs"\n'
    )

    assert upload(organiser, text).status_code == 303

    event = db.session.scalar(select(Event).where(Event.slug == "kt-drive"))
    assert event.all_day and event.last_date.isoformat() == "2031-04-05"
    assert event.online_url == "https://meet.example.org/drive"
    assert event.description == "Two\n\nparagraphs"


def test_importing_the_same_file_twice_changes_nothing(organiser, site):
    upload(organiser, GOOD_FILE)

    upload(organiser, GOOD_FILE)

    page = organiser.get("/organise/").get_data(as_text=True)
    assert "Events: 0 created, 0 updated, 2 unchanged." in page
    event = db.session.scalar(select(Event).where(Event.slug == "kt-listening"))
    assert audit_actions(event) == ["event.created"]


def test_an_import_that_moves_an_event_tells_its_registrants(organiser, site):
    people = [
        add_registration(site.event),
        add_registration(site.event, status="waitlisted"),
        add_registration(site.event),
    ]
    text = csv_text(
        row(
            slug=site.event.slug,
            title=site.event.title,
            venue_name="Hall",
            capacity="4",
        )
    )

    assert upload(organiser, text).status_code == 303

    event = fresh(Event, site.event.id)
    assert event.sequence == 1
    assert fresh(type(people[1]), people[1].id).status == "confirmed"
    assert [m.registration_id for m in outbox("event-changed")] == [
        p.id for p in people
    ]
    assert audit_actions(event) == [
        "event.rescheduled",
        "event.moved",
        "event.updated",
        "registration.promoted",
    ]


def line(number, field, message):
    return f"events.csv:{number}: {field}: ", message


def problems_shown(response) -> list[str]:
    """The problems listed on the import page, as plain text."""
    return [
        html.unescape(problem)
        for problem in re.findall(
            r"<li><code>(.*?)</code></li>", response.get_data(as_text=True)
        )
    ]


def shows(response, problem) -> bool:
    """Whether one listed problem starts with the place and holds the message."""
    place, message = problem if isinstance(problem, tuple) else (problem, "")
    return any(p.startswith(place) and message in p for p in problems_shown(response))


@pytest.mark.parametrize(
    "cells, problem",
    [
        ({"title": ""}, line(3, "title", "is required")),
        ({"type": "party"}, line(3, "type", "unknown event type “party”")),
        ({"sectors": "schools;aliens"}, line(3, "sectors", "unknown sector “aliens”")),
        ({"languages": "xx"}, line(3, "languages", "unknown language “xx”")),
        ({"start": "soon"}, line(3, "start", "“soon” is not a local date and time")),
        ({"end": "2031-02-03 16:00"}, line(3, "end", "must be after the start")),
        (
            {"venue_name": ""},
            line(3, "venue_name", "is required, unless the event has an online_url"),
        ),
        ({"capacity": "0"}, line(3, "capacity", "must be a whole number above 0")),
        ({"status": "maybe"}, line(3, "status", "unknown status “maybe”")),
        ({"slug": "Bad Slug"}, line(3, "slug", "“Bad Slug” is not a slug")),
        (
            {"slug": "kt-listening"},
            line(3, "slug", "“kt-listening” is already used on line 2"),
        ),
        (
            {"community": "nowhere"},
            line(3, "community", "you do not organise “nowhere”"),
        ),
        (
            {"community": "boyle-heights"},
            line(3, "community", "you do not organise “boyle-heights”"),
        ),
        (
            {"community": ""},
            line(3, "community", "network-wide events are imported by network staff"),
        ),
        (
            {"slug": "boyle-heights-awareness"},
            line(3, "slug", "is taken by an event you do not manage"),
        ),
        (
            {"start": "9999-12-31 23:00"},
            line(3, "start", "is outside the years 2000 to 2100"),
        ),
        ({"end": "9999-12-31 23:00"}, line(3, "end", "outside the years 2000")),
        ({"end": "2031-03-07 19:00"}, line(3, "end", "more than 31 days")),
    ],
)
def test_each_bad_row_is_named_by_its_line_and_nothing_is_written(
    organiser, site, cells, problem
):
    text = csv_text(row(slug="kt-listening"), row(**cells))
    before = count(Event)

    response = upload(organiser, text)

    assert response.status_code == 400
    assert shows(response, problem), problems_shown(response)
    assert len(problems_shown(response)) == 1
    assert "nothing was imported" in response.get_data(as_text=True)
    assert count(Event) == before


def test_a_row_with_more_cells_than_columns_is_named(organiser, site):
    response = upload(organiser, csv_text(row(), [*row(slug="kt-y"), "extra"]))

    assert response.status_code == 400
    assert problems_shown(response) == [
        "events.csv:3: this row has 12 cells but the first line names only 11 columns"
    ]


@pytest.mark.parametrize(
    "header, problem",
    [
        (HEADER + ",colour", line(1, "colour", "unknown column")),
        (HEADER + ",title", line(1, "title", "is named twice")),
        (HEADER.replace("sectors,", ""), line(1, "sectors", "column is missing")),
    ],
)
def test_a_bad_header_is_named(organiser, site, header, problem):
    response = upload(organiser, header + "\n")

    assert response.status_code == 400
    assert shows(response, problem), problems_shown(response)


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"", "events.csv:1: the file is empty; the first line must name the columns"),
        ("slug,title\n".encode("utf-16"), "events.csv: the file is not UTF-8 text"),
    ],
)
def test_a_file_that_is_not_csv_text_is_refused(organiser, site, body, problem):
    response = upload(organiser, body)

    assert response.status_code == 400
    assert problems_shown(response) == [problem]


def test_the_upload_form_needs_a_file(organiser, site):
    response = organiser.post("/organise/import", data={})

    assert response.status_code == 400
    assert "Choose a CSV file" in response.get_data(as_text=True)


def test_admins_may_import_network_wide_events(client, site):
    log_in(client, site.admin)
    text = csv_text(row(slug="net-day", community=""))

    assert upload(client, text).status_code == 303
    event = db.session.scalar(select(Event).where(Event.slug == "net-day"))
    assert event.community_id is None


def test_learners_cannot_import(client, site):
    log_in(client, site.learner)

    assert upload(client, GOOD_FILE).status_code == 403


def test_the_command_line_imports_a_csv_file(runner, site, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text(GOOD_FILE, encoding="utf-8")

    result = runner.invoke(args=["events", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert "Events: 2 created, 0 updated, 0 unchanged." in result.output
    assert count(Event) == 5


def test_the_command_line_lists_the_problems_of_a_csv_file(runner, site, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text(
        GOOD_FILE.replace("koreatown,schools;", "nowhere,schools;"), "utf-8"
    )

    result = runner.invoke(args=["events", "import", str(path)])

    assert result.exit_code == 1
    assert f"{path}:2: community: there is no community “nowhere”" in result.output
    assert count(Event) == 3


def test_an_event_one_may_not_manage_is_refused_alike_draft_or_not(
    organiser, site, make_event
):
    make_event(slug="bh-draft", community=site.other, status="draft")
    text = csv_text(row(slug="bh-draft"), row(slug=site.foreign.slug))

    shown = problems_shown(upload(organiser, text))

    assert [p.replace("bh-draft", site.foreign.slug) for p in shown[:1]] == [
        shown[1].replace(":3:", ":2:")
    ]
    for problem in shown:
        assert "boyle" not in problem.replace(site.foreign.slug, "").lower()
        assert "community" not in problem
        assert "draft" not in problem.replace("bh-draft", "")


#: The start of a timed row: everything but the column a case adds.
TIMED = (
    "slug,title,type,community,sectors,languages,start,end,venue_name",
    "kt-far,Far,awareness,koreatown,schools,en,2031-02-03 17:00,2031-02-03 19:00,Hall",
)


def with_column(column: str, cell: str) -> tuple[str, str]:
    """A timed row of one event with one more column."""
    return f"{TIMED[0]},{column}", f"{TIMED[1]},{cell}"


@pytest.mark.parametrize(
    "header, cells, problem",
    [
        (
            "slug,title,type,community,sectors,languages,start_date,all_day,venue_name",
            "kt-far,Far,awareness,koreatown,schools,en,9999-12-31,yes,Hall",
            line(2, "start_date", "outside the years 2000 to 2100"),
        ),
        (
            *with_column("registration_opens", "9999-12-31 23:00"),
            line(2, "registration_opens", "outside the years 2000 to 2100"),
        ),
        (
            *with_column("registration_opens", "2031-02-03 18:00"),
            line(2, "registration_opens", "must be before the start"),
        ),
        (
            *with_column("registration_closes", "2031-02-03 19:30"),
            line(2, "registration_closes", "must not be after the end"),
        ),
        (
            *with_column("description", "x" * 20_001),
            line(2, "description", "at most 20000 are allowed"),
        ),
    ],
)
def test_dates_out_of_range_and_overlong_text_are_refused_on_their_line(
    organiser, site, header, cells, problem
):
    before = count(Event)

    response = upload(organiser, header + "\n" + cells + "\n")

    assert response.status_code == 400
    assert shows(response, problem), problems_shown(response)
    assert count(Event) == before


def test_the_command_line_refuses_a_date_far_ahead(runner, site, tmp_path):
    path = tmp_path / "plan.csv"
    far = csv_text(row(start="9999-12-31 23:00", end="9999-12-31 23:30"))
    path.write_text(far, encoding="utf-8")

    result = runner.invoke(args=["events", "import", str(path)])

    assert result.exit_code == 1
    assert f"{path}:2: start: " in result.output
    assert count(Event) == 3


# --- Import and the organiser rules -------------------------------------------------


def existing_row(event, **cells) -> list[str]:
    """A row under :data:`HEADER` that repeats ``event`` as it is, then changed."""
    values = {
        "slug": event.slug,
        "title": event.title,
        "type": event.type,
        "community": event.community.slug,
        "sectors": ";".join(event.sector_slugs),
        "languages": ";".join(event.language_codes),
        "start": event.local_start.strftime("%Y-%m-%d %H:%M"),
        "end": event.local_end.strftime("%Y-%m-%d %H:%M"),
        "venue_name": event.venue_name,
        "capacity": str(event.capacity or ""),
        "status": event.status,
    }
    return row(**{**values, **cells})


@pytest.mark.parametrize(
    "status, message",
    [
        ("draft", "cannot go back to being a draft"),
        ("cancelled", "cancel it on the event’s page"),
    ],
)
def test_an_import_cannot_draft_or_cancel_an_event_with_registrants(
    organiser, site, status, message
):
    person = add_registration(site.event)

    response = upload(organiser, csv_text(existing_row(site.event, status=status)))

    assert response.status_code == 400
    assert shows(response, line(2, "status", message)), problems_shown(response)
    assert fresh(Event, site.event.id).status == "published"
    assert outbox() == []
    assert audit_actions(site.event) == []
    assert person.id


def test_an_import_cannot_publish_a_cancelled_event_with_registrants_again(
    organiser, site, make_event
):
    event = make_event(slug="kt-off", community=site.home, status="cancelled")
    add_registration(event)

    response = upload(organiser, csv_text(existing_row(event, status="published")))

    assert response.status_code == 400
    assert shows(response, line(2, "status", "was cancelled")), problems_shown(response)
    assert fresh(Event, event.id).status == "cancelled"


@pytest.mark.parametrize(
    "before, after, action",
    [
        ("published", "cancelled", "event.cancelled"),
        ("draft", "published", "event.published"),
        ("published", "draft", "event.status_changed"),
    ],
)
def test_an_import_changes_the_status_of_an_event_without_registrants_on_record(
    organiser, site, make_event, before, after, action
):
    event = make_event(
        slug="kt-quiet",
        community=site.home,
        status=before,
        starts_at=site.start,
        ends_at=site.start + timedelta(hours=2),
    )

    response = upload(organiser, csv_text(existing_row(event, status=after)))

    assert response.status_code == 303
    assert fresh(Event, event.id).status == after
    assert audit_actions(event) == [action]


def test_an_empty_status_leaves_an_existing_event_as_it_is(organiser, site):
    response = upload(organiser, csv_text(existing_row(site.draft, status="")))

    assert response.status_code == 303
    assert fresh(Event, site.draft.id).status == "draft"


def test_an_import_cannot_drop_the_capacity_below_the_people_confirmed(organiser, site):
    add_registration(site.event)
    add_registration(site.event)

    response = upload(
        organiser,
        csv_text(existing_row(site.event, capacity="1", title="Renamed")),
    )

    assert response.status_code == 400
    assert shows(response, line(2, "capacity", "2 people already have a place")), (
        problems_shown(response)
    )
    event = fresh(Event, site.event.id)
    assert (event.capacity, event.title) == (2, "Listening group")


def test_a_missing_column_leaves_its_field_as_it_is(organiser, site, make_event):
    event = make_event(
        slug="kt-full",
        community=site.home,
        description="Bring questions.",
        venue_name="Hall",
        venue_address="1 Main St",
        online_url="https://meet.example.org/room",
        capacity=12,
        timezone="America/New_York",
        registration_opens_at=site.start - timedelta(days=20),
        registration_closes_at=site.start - timedelta(days=1),
    )
    before = fresh(Event, event.id)
    kept = {
        name: getattr(before, name)
        for name in (
            "description",
            "venue_name",
            "venue_address",
            "online_url",
            "capacity",
            "timezone",
            "starts_at",
            "ends_at",
            "registration_opens_at",
            "registration_closes_at",
            "status",
            "community_id",
            "sequence",
        )
    }
    text = (
        f"slug,title,type,sectors,languages\nkt-full,Renamed,{event.type},schools,en\n"
    )

    response = upload(organiser, text)

    assert response.status_code == 303, problems_shown(response)
    after = fresh(Event, event.id)
    assert after.title == "Renamed"
    assert {name: getattr(after, name) for name in kept} == {
        **kept,
        "sequence": kept["sequence"] + 1,
    }


def test_an_empty_cell_in_a_present_column_clears_an_optional_field(organiser, site):
    response = upload(organiser, csv_text(existing_row(site.event, capacity="")))

    assert response.status_code == 303
    assert fresh(Event, site.event.id).capacity is None


def test_a_missing_time_column_keeps_the_time_of_an_existing_event(organiser, site):
    text = (
        "slug,title,type,community,sectors,languages,venue_name\n"
        f"{site.event.slug},{site.event.title},{site.event.type},koreatown,"
        f"schools,en,{site.event.venue_name}\n"
    )

    response = upload(organiser, text)

    assert response.status_code == 303, problems_shown(response)
    event = fresh(Event, site.event.id)
    assert (event.starts_at, event.ends_at) == (
        site.event.starts_at,
        site.event.ends_at,
    )


def test_a_new_event_still_needs_its_times(organiser, site):
    text = "slug,title,type,community,sectors,languages,venue_name\n"
    text += "kt-new,New,awareness,koreatown,schools,en,Hall\n"

    response = upload(organiser, text)

    assert response.status_code == 400
    assert shows(response, line(2, "start", "is required")), problems_shown(response)


def test_the_command_line_import_is_audited_and_told_to_registrants(
    runner, site, tmp_path
):
    person = add_registration(site.event)
    path = tmp_path / "plan.csv"
    later = site.event.local_start + timedelta(days=1)
    moved = existing_row(
        site.event,
        start=later.strftime("%Y-%m-%d %H:%M"),
        end=(later + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M"),
    )
    path.write_text(csv_text(moved), encoding="utf-8")

    result = runner.invoke(args=["events", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert "Events: 0 created, 1 updated, 0 unchanged." in result.output
    assert audit_actions(site.event) == ["event.rescheduled"]
    assert [m.registration_id for m in outbox("event-changed")] == [person.id]


def test_the_command_line_import_keeps_the_rules_too(runner, site, tmp_path):
    add_registration(site.event)
    path = tmp_path / "plan.csv"
    path.write_text(csv_text(existing_row(site.event, status="draft")), "utf-8")

    result = runner.invoke(args=["events", "import", str(path)])

    assert result.exit_code == 1
    assert f"{path}:2: status: " in result.output
    assert fresh(Event, site.event.id).status == "published"
