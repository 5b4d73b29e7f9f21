"""The registrant list as CSV, and importing events from CSV (web and command line)."""

import csv
import html
import io
import re
from datetime import datetime
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
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def upload(client, text: str | bytes, name="events.csv"):
    body = text.encode() if isinstance(text, str) else text
    return client.post(
        "/organise/import",
        data={"file": (io.BytesIO(body), name)},
        content_type="multipart/form-data",
    )


# --- Export ----------------------------------------------------------------------


def test_the_export_is_a_private_utf8_attachment(organiser, site):
    add_registration(site.event, name="Zoë Ñúñez")

    response = export(organiser, site.event)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="listening-group-registrants.csv"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert not response.data.startswith(b"\xef\xbb\xbf")
    assert "Zoë Ñúñez".encode() in response.data


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
            line(3, "slug", "is an event of a community you do not organise"),
        ),
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
