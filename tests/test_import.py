"""``flask events import FILE``: the YAML format, re-imports and refused files."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

import tfc_training
from tfc_training.audit.models import AuditEntry
from tfc_training.communities.models import Community
from tfc_training.events.models import Event
from tfc_training.events.services import apply_event_changes
from tfc_training.extensions import db
from tfc_training.mail.models import OutboxMessage
from tfc_training.registration.models import Registration
from tfc_training.registration.services import Applicant, sign_up
from tfc_training.vocabulary import EVENT_TYPES, SECTORS

SAMPLE = Path(tfc_training.__file__).parent / "sample" / "los-angeles.yaml"

#: A small valid file; the bad-file cases below change one line of it by number.
GOOD_FILE = """\
communities:
  - slug: harbor
    name: TraffickFree Harbor
    area: San Pedro
events:
  - slug: good-event
    title: A good event
    type: awareness
    community: harbor
    sectors: [schools]
    languages: [en]
    start: 2027-02-02 18:30
    end: 2027-02-02 20:00
    venue:
      name: Harbor Community Room
      address: 600 S Pacific Ave, San Pedro, CA 90731
  - slug: second-event
    title: Second event
    type: workshop
    community: harbor
    sectors: [schools, media]
    languages: [en, es]
    timezone: America/Los_Angeles
    start: 2027-02-03 18:30
    end: 2027-02-03 20:00
    online_url: https://meet.example.org/room
"""


def import_file(runner, path):
    return runner.invoke(args=["events", "import", str(path)])


def write_file(tmp_path, text, name="events.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def with_line(text, number, replacement):
    """Replace line ``number`` (1-based) of ``text``; ``None`` removes it."""
    lines = text.splitlines()
    if replacement is None:
        del lines[number - 1]
    else:
        lines[number - 1] = replacement
    return "\n".join(lines) + "\n"


def table_counts():
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def event(slug):
    return db.session.scalar(select(Event).where(Event.slug == slug))


def versions():
    """Each event's last change and sequence, by slug."""
    events = db.session.scalars(select(Event))
    return {e.slug: (e.updated_at, e.sequence) for e in events}


def published_events():
    return db.session.scalars(select(Event).where(Event.status == "published")).all()


def test_sample_imports_into_an_empty_database(runner):
    result = import_file(runner, SAMPLE)

    assert result.exit_code == 0, result.output
    assert "Communities: 10 created, 0 updated, 0 unchanged." in result.output
    created = re.search(r"Events: (\d+) created, 0 updated, 0 unchanged", result.output)
    assert int(created.group(1)) == db.session.scalar(select(func.count(Event.id)))
    assert db.session.scalar(select(func.count(Community.id))) == 10


def test_sample_has_a_dozen_published_events_of_every_type_and_sector(runner):
    import_file(runner, SAMPLE)

    events = published_events()

    assert len(events) >= 12
    assert {e.type for e in events} == set(EVENT_TYPES)
    assert {slug for e in events for slug in e.sector_slugs} == set(SECTORS)


def _has_sectors(*slugs):
    return lambda e: e.type == "listening-group" and set(slugs) <= set(e.sector_slugs)


def _in_script(code, first, last):
    return lambda e: (
        e.language_codes[0] == code
        and any(first <= character <= last for character in e.title)
    )


@pytest.mark.parametrize(
    "wanted",
    [
        pytest.param(_has_sectors("law-enforcement", "schools"), id="police-and-youth"),
        pytest.param(
            _has_sectors("law-enforcement", "first-responders"),
            id="police-and-first-responders",
        ),
        pytest.param(
            lambda e: e.type == "listening-group" and e.sector_slugs == ["schools"],
            id="teachers-parents-students",
        ),
        pytest.param(
            _has_sectors("local-business", "consumers"), id="businesses-and-consumers"
        ),
        pytest.param(
            lambda e: e.type == "stakeholder-training" and len(e.sectors) == 1,
            id="training-for-one-sector",
        ),
        pytest.param(
            lambda e: e.language_codes == ["es"] and set(e.title) & set("áéíóúñ¿¡"),
            id="spanish",
        ),
        pytest.param(_in_script("zh", "\u4e00", "\u9fff"), id="chinese"),
        pytest.param(_in_script("ko", "\uac00", "\ud7a3"), id="korean"),
        pytest.param(lambda e: e.all_day, id="all-day"),
        pytest.param(lambda e: e.online_url and not e.venue_name, id="online"),
        pytest.param(lambda e: e.capacity and e.capacity <= 10, id="small-capacity"),
    ],
)
def test_sample_has_the_required_published_event(runner, wanted):
    import_file(runner, SAMPLE)

    assert any(wanted(e) for e in published_events())


def test_sample_has_a_cancelled_event(runner):
    import_file(runner, SAMPLE)

    assert (
        db.session.scalar(
            select(func.count(Event.id)).where(Event.status == "cancelled")
        )
        == 1
    )


def test_local_times_are_stored_as_utc_instants(runner):
    import_file(runner, SAMPLE)

    introduction = event("introduction-to-trafficking-in-los-angeles")

    assert introduction.starts_at == datetime(2027, 2, 3, 2, 30, tzinfo=UTC)
    assert introduction.local_start.strftime("%Y-%m-%d %H:%M") == "2027-02-02 18:30"
    assert introduction.timezone == "America/Los_Angeles"


def test_all_day_dates_are_stored_as_local_midnights(runner):
    import_file(runner, SAMPLE)

    weekend = event("leadership-weekend-research-and-discovery")

    assert weekend.all_day
    assert weekend.local_start.replace(tzinfo=None) == datetime(2027, 2, 6)
    assert weekend.local_end.replace(tzinfo=None) == datetime(2027, 2, 8)
    assert weekend.last_date == date(2027, 2, 7)


def test_second_import_changes_nothing(runner):
    import_file(runner, SAMPLE)
    before = versions()
    communities_before = {
        c.slug: c.updated_at for c in db.session.scalars(select(Community))
    }

    result = import_file(runner, SAMPLE)

    assert result.exit_code == 0, result.output
    assert "Communities: 0 created, 0 updated, 10 unchanged." in result.output
    assert f"Events: 0 created, 0 updated, {len(before)} unchanged." in result.output
    assert versions() == before
    assert {
        c.slug: c.updated_at for c in db.session.scalars(select(Community))
    } == communities_before


BUS_BENCH = "wilmington-bus-bench-campaign"


@pytest.mark.parametrize(
    ("old", "new", "sequence_raised"),
    [
        ("title: Bus-bench campaign launch", "title: Bus-bench campaign kick-off", 1),
        ("start: 2027-02-13 09:00", "start: 2027-02-13 10:00", 1),
        ("address: 1000 N Avalon Blvd", "address: 1010 N Avalon Blvd", 1),
        (
            "      Wear comfortable shoes.",
            "      Wear comfortable shoes and a hat.",
            0,
        ),
        (
            "sectors: [consumers, media, local-business]",
            "sectors: [consumers, media]",
            0,
        ),
    ],
    ids=["title", "start", "venue", "description", "sectors"],
)
def test_changed_event_is_updated(runner, tmp_path, old, new, sequence_raised):
    import_file(runner, SAMPLE)
    before = versions()
    text = SAMPLE.read_text(encoding="utf-8")
    assert text.count(old) == 1

    result = import_file(runner, write_file(tmp_path, text.replace(old, new)))

    assert result.exit_code == 0, result.output
    unchanged = len(before) - 1
    assert f"Events: 0 created, 1 updated, {unchanged} unchanged." in result.output
    changed = event(BUS_BENCH)
    assert changed.sequence == before[BUS_BENCH][1] + sequence_raised
    assert changed.updated_at > before[BUS_BENCH][0]


def test_cancelling_in_the_file_raises_the_sequence(runner, tmp_path):
    path = write_file(tmp_path, GOOD_FILE)
    import_file(runner, path)

    cancelled = GOOD_FILE + "    status: cancelled\n"
    import_file(runner, write_file(tmp_path, cancelled))

    assert event("second-event").status == "cancelled"
    assert event("second-event").sequence == 1


def test_events_may_name_a_community_already_in_the_database(runner, tmp_path):
    import_file(runner, write_file(tmp_path, GOOD_FILE))
    without_communities = "\n".join(GOOD_FILE.splitlines()[4:]) + "\n"

    result = import_file(runner, write_file(tmp_path, without_communities, "more.yaml"))

    assert result.exit_code == 0, result.output
    assert "Events: 0 created, 0 updated, 2 unchanged." in result.output


def test_larger_capacity_confirms_people_waiting(runner, tmp_path, now):
    small = with_line(GOOD_FILE, 16, GOOD_FILE.splitlines()[15] + "\n    capacity: 1")
    import_file(runner, write_file(tmp_path, small))
    for number in (1, 2):
        applicant = Applicant(
            f"Person {number}", f"person{number}@example.org", None, "en", None
        )
        sign_up(event("good-event").id, applicant, now=now)
    db.session.commit()

    larger = small.replace("capacity: 1", "capacity: 2")
    import_file(runner, write_file(tmp_path, larger))

    statuses = db.session.scalars(select(Registration.status)).all()
    assert statuses == ["confirmed", "confirmed"]


def sign_up_people(slug, count, now):
    for number in range(1, count + 1):
        applicant = Applicant(
            f"Person {number}", f"person{number}@example.org", None, "en", None
        )
        sign_up(event(slug).id, applicant, now=now)
    db.session.commit()


def trail_of(slug) -> list[str]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.event_id == event(slug).id)
            .order_by(AuditEntry.id)
        )
    )


def mail_kinds() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(OutboxMessage.kind)))


def test_the_capacity_cannot_drop_below_the_people_confirmed(runner, tmp_path, now):
    two = with_line(GOOD_FILE, 16, GOOD_FILE.splitlines()[15] + "\n    capacity: 2")
    import_file(runner, write_file(tmp_path, two))
    sign_up_people("good-event", 2, now)

    path = write_file(tmp_path, two.replace("capacity: 2", "capacity: 1"))
    result = import_file(runner, path)

    assert result.exit_code == 1
    assert f"{path}:17: capacity: 2 people already have a place" in result.stderr
    assert event("good-event").capacity == 2


@pytest.mark.parametrize("status", ["draft", "cancelled"])
def test_an_event_with_registrants_is_not_drafted_or_cancelled_by_a_file(
    runner, tmp_path, now, status
):
    import_file(runner, write_file(tmp_path, GOOD_FILE))
    sign_up_people("second-event", 1, now)
    before = mail_kinds()

    path = write_file(tmp_path, GOOD_FILE + f"    status: {status}\n")
    result = import_file(runner, path)

    assert result.exit_code == 1
    assert f"{path}:27: status: " in result.stderr
    assert event("second-event").status == "published"
    assert mail_kinds() == before


def test_a_reschedule_in_the_file_is_audited_and_told_to_registrants(
    runner, tmp_path, now
):
    import_file(runner, write_file(tmp_path, GOOD_FILE))
    sign_up_people("second-event", 1, now)

    later = GOOD_FILE.replace("start: 2027-02-03 18:30", "start: 2027-02-03 19:00")
    result = import_file(runner, write_file(tmp_path, later))

    assert result.exit_code == 0, result.output
    assert trail_of("second-event") == ["event.created", "event.rescheduled"]
    assert "event-changed" in mail_kinds()


LAST_LINE = GOOD_FILE.splitlines()[-1]

#: Each case: the line to replace (or remove, if ``None``), and where the problem is.
BAD_LINES = {
    "unknown type": (19, "    type: lecture", 19, "type"),
    "unknown sector": (21, "    sectors: [schools, polce]", 21, "sectors"),
    "unknown language": (22, "    languages: [en, xx]", 22, "languages"),
    "end before start": (25, "    end: 2027-02-03 17:00", 25, "end"),
    "bad time zone": (23, "    timezone: America/Springfield", 23, "timezone"),
    "duplicate slug": (17, "  - slug: good-event", 17, "slug"),
    "missing field": (18, None, 17, "title"),
    "unknown community": (20, "    community: atlantis", 20, "community"),
    "unknown key": (26, f"{LAST_LINE}\n    colour: red", 27, "colour"),
    "broken YAML": (19, "\ttype: workshop", 19, None),
    "too-long title": (18, "    title: " + "x" * 201, 18, "title"),
    "unsafe link": (26, "    online_url: javascript:alert(1)", 26, "online_url"),
    "nonexistent local time": (24, "    start: 2027-03-14 02:30", 24, "start"),
    "zero capacity": (26, f"{LAST_LINE}\n    capacity: 0", 27, "capacity"),
    "year far ahead": (24, "    start: 9999-12-31 23:00", 24, "start"),
    "year long past": (
        26,
        f"{LAST_LINE}\n    registration_opens: 1900-01-01 09:00",
        27,
        "registration_opens",
    ),
    "over a month long": (25, "    end: 2027-03-13 20:00", 25, "end"),
    "overlong description": (
        26,
        f"{LAST_LINE}\n    description: {'x' * 20_001}",
        27,
        "description",
    ),
}


@pytest.mark.parametrize(
    ("number", "replacement", "line", "field"), BAD_LINES.values(), ids=BAD_LINES.keys()
)
def test_bad_file_writes_nothing_and_names_line_and_field(
    runner, tmp_path, make_event, number, replacement, line, field
):
    make_event(slug="already-here")
    before = table_counts()
    path = write_file(tmp_path, with_line(GOOD_FILE, number, replacement))

    result = import_file(runner, path)

    assert result.exit_code != 0
    location = f"{path}:{line}: {field}: " if field else f"{path}:{line}: "
    assert location in result.stderr
    assert "nothing was imported" in result.stderr
    assert table_counts() == before


def test_bad_file_leaves_existing_events_as_they_were(runner, tmp_path):
    import_file(runner, write_file(tmp_path, GOOD_FILE))
    renamed = GOOD_FILE.replace("title: A good event", "title: A renamed event")
    bad = with_line(renamed, 19, "    type: lecture")

    result = import_file(runner, write_file(tmp_path, bad))

    assert result.exit_code != 0
    assert event("good-event").title == "A good event"
    assert event("good-event").sequence == 0


def test_every_problem_is_reported(runner, tmp_path):
    bad = with_line(GOOD_FILE, 8, "    type: lecture")
    bad = with_line(bad, 22, "    languages: [xx]")

    result = import_file(runner, write_file(tmp_path, bad))

    assert ":8: type: " in result.stderr
    assert ":22: languages: " in result.stderr
    assert "2 problems found" in result.stderr


def test_applying_the_same_values_changes_nothing(make_event):
    existing = make_event(languages=("en", "es"), sectors=("media", "schools"))
    before = (existing.updated_at, existing.sequence)
    values = {
        "title": existing.title,
        "starts_at": existing.starts_at,
        "sectors": ["schools", "media"],
        "languages": ["en", "es"],
    }

    assert not apply_event_changes(existing, values)
    assert (existing.updated_at, existing.sequence) == before


def test_reordering_languages_changes_the_main_one_without_a_new_sequence(make_event):
    existing = make_event(languages=("en", "es"))

    assert apply_event_changes(existing, {"languages": ["es", "en", "ko"]})
    db.session.commit()

    db.session.expire_all()
    assert event(existing.slug).language_codes == ["es", "en", "ko"]
    assert event(existing.slug).sequence == 0


@pytest.mark.parametrize("character", ["\u0007", "\u001b", "\u000b", "\r"])
def test_control_characters_in_a_title_are_refused(runner, tmp_path, character):
    path = tmp_path / "control.yaml"
    path.write_text(
        "events:\n"
        "  - slug: bell\n"
        f'    title: "Ring {character.encode("unicode_escape").decode()} the bell"\n'
        "    type: awareness\n"
        "    sectors: [schools]\n"
        "    languages: [en]\n"
        "    start: 2027-02-02 18:30\n"
        "    end: 2027-02-02 20:00\n"
        "    venue: {name: Hall, address: 1 Main St}\n",
        encoding="utf-8",
    )

    result = runner.invoke(args=["events", "import", str(path)])

    assert result.exit_code != 0
    assert f"{path}:3: title:" in result.output
    assert db.session.scalar(select(func.count(Event.id))) == 0
