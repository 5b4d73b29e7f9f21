"""Importing events from a file, by the same rules as the organiser's event form.

The CSV upload and ``flask events import`` (CSV or YAML) all write through
:func:`import_events`. A new event is created as the file says. An existing event is
changed through :func:`~.services.update_event`, exactly as saving the event form
changes it: the change goes on the event's trail, registrants are told of a new time
or place, and the capacity never drops below the people already confirmed. A file
changes an event's status only while nobody is signed up for it: an event with
registrants is cancelled on its own page, which tells them, and is never turned
back into a draft or published again after it was cancelled.

Everything is checked and written in one transaction; if any row is refused,
nothing is written and every problem is reported with its line.
"""

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import record
from ..database import begin_write
from ..events.csv_import import CsvImportData, FindEvents, decode_csv, read_csv_file
from ..events.importer import (
    EventRecord,
    ImportData,
    ImportFailed,
    ImportResult,
    Problem,
    Tally,
    communities_by_slug,
    read_import_file,
    unknown_communities,
    write_communities,
)
from ..events.models import Event, EventSeries
from ..events.recurrence import Rule, local_starts
from ..events.services import apply_event_changes
from ..extensions import db
from .series import create_series, dated_values, split_series
from .services import (
    ActionRefused,
    create_event,
    has_active_registrations,
    managed_communities,
    update_event,
)

logger = logging.getLogger(__name__)


def import_csv(raw: bytes, source: str, *, actor, now: datetime) -> ImportResult:
    """Import the events of an uploaded CSV file on ``actor``'s authority.

    :raise ImportFailed: listing every problem; nothing is written.
    """
    begin_write()
    data = decode_csv(raw, source, _events_managed_by(actor))
    return import_events(data, actor=actor, now=now)


def import_file(path: str | Path, *, now: datetime) -> ImportResult:
    """Import a CSV or YAML file from the command line, with the network's authority.

    :raise ImportFailed: listing every problem; nothing is written.
    """
    begin_write()
    if str(path).lower().endswith(".csv"):
        data = read_csv_file(path, _events_managed_by(None))
    else:
        data = read_import_file(path)
    return import_events(data, actor=None, now=now)


def import_events(data: ImportData, *, actor, now: datetime) -> ImportResult:
    """Write checked import data, all or none; flushes, the caller commits.

    ``actor`` is the account importing, or ``None`` for the command line. An
    organiser may only import events of the communities they organise, and change
    only the events they manage.

    :raise ImportFailed: listing every problem with the file, its rows, or what they
        would do to existing events.
    """
    begin_write()
    problems = data.problems + _permission_problems(data, actor)
    _raise_if_any(problems)

    communities = communities_by_slug(data)
    _raise_if_any(unknown_communities(data, communities))

    result = ImportResult()
    write_communities(data, communities, result)
    existing = _events_by_slug(record.slug for record in data.events)
    source = "csv" if isinstance(data, CsvImportData) else "yaml"
    for entry in data.events:
        community = communities[entry.community] if entry.community else None
        values = entry.values(community)
        if entry.repeat is not None:
            try:
                import_series(
                    entry.repeat,
                    values,
                    result.events,
                    actor=actor,
                    now=now,
                    source=source,
                )
            except ActionRefused as refusal:
                problems.append(_located(refusal, entry, data.source))
            continue

        event = existing.get(entry.slug)
        if event is None:
            create_event(values, actor=actor, now=now, source=source)
            result.events.count(created=True, changed=True)
            continue

        changed, refusals = _change_event(event, values, actor=actor, now=now)
        problems.extend(_located(refusal, entry, data.source) for refusal in refusals)
        result.events.count(created=False, changed=changed)
    _raise_if_any(problems)

    logger.info(
        "imported %s: created/updated/unchanged events %s/%s/%s",
        data.source,
        result.events.created,
        result.events.updated,
        result.events.unchanged,
    )
    return result


def import_series(
    rule: Rule, values: dict, tally: Tally, *, actor, now: datetime, source: str
) -> None:
    """Create the series a file names by its slug, or bring it up to date.

    A series with the same rule and first date has each of its coming dates
    changed as the event form would change it. A new rule or first date changes
    the series from its next date on (see :func:`.series.split_series`), so that
    past dates stay as they were. Each date is counted in ``tally`` as an event.

    :raise ActionRefused: when the series has no date left to change, or a date
        would get fewer places than people already confirmed for it.
    """
    series = db.session.scalar(
        select(EventSeries)
        .where(EventSeries.slug == values["slug"])
        .order_by(EventSeries.id.desc())
        .limit(1)
    )
    if series is None:
        series = create_series(values, rule, actor=actor, now=now, source=source)
        tally.created += len(series.occurrences)
        return

    values = {name: value for name, value in values.items() if name != "status"}
    coming = [o for o in series.occurrences if o.starts_at > now]
    if not coming:
        raise ActionRefused(
            _("this series has no coming date left to change; give it a new slug")
        )

    zone = ZoneInfo(values["timezone"])
    first = values["starts_at"].astimezone(zone).replace(tzinfo=None)
    if rule == series.rule and local_starts(rule, first)[0] == series.first_local_start:
        for occurrence in series.occurrences:
            if occurrence not in coming or occurrence.status == "cancelled":
                tally.unchanged += 1
                continue
            dated = dated_values(values, occurrence.recurrence_id.astimezone(zone))
            dated["slug"] = occurrence.slug
            changed = bool(update_event(occurrence, dated, actor=actor, now=now))
            tally.count(created=False, changed=changed)
        return

    split_on = coming[0].recurrence_id.astimezone(zone)
    if first < split_on.replace(tzinfo=None):
        start = datetime.combine(split_on.date(), first.time())
        values = dated_values(values, start)
    new = split_series(coming[0], values, rule, actor=actor, now=now)
    tally.updated += len(new.occurrences)


def _change_event(
    event: Event, values: dict, *, actor, now: datetime
) -> tuple[bool, list[ActionRefused]]:
    """Apply a row to an existing event: its fields as the form would, then its
    status. Returns whether anything changed, and the refusals met on the way."""
    status = values.pop("status")
    changed, refusals = False, []
    try:
        changed = bool(update_event(event, values, actor=actor, now=now))
    except ActionRefused as refusal:
        refusals.append(refusal)
    try:
        changed |= _change_status(event, status, actor=actor)
    except ActionRefused as refusal:
        refusals.append(refusal)
    return changed, refusals


def _change_status(event: Event, status: str, *, actor) -> bool:
    """Give the event the status the file names, if nobody is signed up for it.

    :raise ActionRefused: for an event with registrants, whose status is changed on
        its own page, where cancelling tells them.
    """
    old = event.status
    if status == old:
        return False
    if has_active_registrations(event):
        raise ActionRefused(_status_refusal(old, status), field="status")

    apply_event_changes(event, {"status": status})
    db.session.flush()
    if status == "cancelled":
        record(event, "event.cancelled", actor=actor)
    elif old == "draft" and status == "published":
        record(event, "event.published", actor=actor)
    else:
        record(
            event,
            "event.status_changed",
            actor=actor,
            old_status=old,
            new_status=status,
        )
    logger.info("event %s made %s by an import", event.id, status)
    return True


def _status_refusal(old: str, new: str) -> str:
    if new == "cancelled":
        return _(
            "people are signed up for this event; cancel it on the event’s page,"
            " which tells them"
        )
    if new == "draft":
        return _(
            "people are signed up for this event, so it cannot go back to being a"
            " draft; cancel it on the event’s page instead"
        )
    if old == "cancelled":
        return _(
            "this event was cancelled with people signed up, so it stays cancelled;"
            " create a new event instead"
        )
    return _("people are signed up for this draft; publish it on the event’s page")


def _located(refusal: ActionRefused, entry: EventRecord, source: str) -> Problem:
    line = entry.line_of(refusal.field) if refusal.field else entry.line
    return Problem(source, line, refusal.field, refusal.message)


def _raise_if_any(problems: list[Problem]) -> None:
    if problems:
        raise ImportFailed(sorted(problems, key=lambda problem: problem.line or 0))


def _events_by_slug(slugs: Iterable[str]) -> dict[str, Event]:
    slugs = list(slugs)
    if not slugs:
        return {}
    events = db.session.scalars(select(Event).where(Event.slug.in_(slugs))).unique()
    return {event.slug: event for event in events}


def _events_managed_by(actor) -> FindEvents:
    """Look up, by slug, the events that ``actor`` (``None``: the network) manages."""

    def find(slugs: list[str]) -> Mapping[str, Event]:
        statement = select(Event).where(Event.slug.in_(slugs))
        if actor is not None and not actor.is_admin:
            statement = statement.where(
                Event.community_id.in_(actor.organised_community_ids)
            )
        return {event.slug: event for event in db.session.scalars(statement).unique()}

    return find


def _permission_problems(data: ImportData, actor) -> list[Problem]:
    """Problems with rows naming communities or events ``actor`` does not organise.

    An event of another community gets the same answer whether it is public or a
    draft, and its community is not named: the file's author learns only that the
    address is taken.
    """
    if actor is None or actor.is_admin:
        return []

    organised = {
        community.slug: community.id for community in managed_communities(actor)
    }
    rows = data.rows if isinstance(data, CsvImportData) else []
    slugs = [row.slug for row in rows if row.slug]
    owners = dict(
        db.session.execute(
            select(Event.slug, Event.community_id).where(Event.slug.in_(slugs))
        ).all()
    )
    yours = ", ".join(sorted(organised)) or "—"

    problems = []
    for row in rows:
        if row.community is None:
            problems.append(
                Problem(
                    data.source,
                    row.line,
                    "community",
                    _(
                        "is required: name one of your communities (%(yours)s);"
                        " network-wide events are imported by network staff",
                        yours=yours,
                    ),
                )
            )
        elif row.community not in organised:
            problems.append(
                Problem(
                    data.source,
                    row.line,
                    "community",
                    _(
                        "you do not organise “%(slug)s”; you can import events for:"
                        " %(yours)s",
                        slug=row.community,
                        yours=yours,
                    ),
                )
            )
        if row.slug in owners and owners[row.slug] not in organised.values():
            problems.append(
                Problem(
                    data.source,
                    row.line,
                    "slug",
                    _(
                        "“%(slug)s” is taken by an event you do not manage; choose"
                        " another slug",
                        slug=row.slug,
                    ),
                )
            )
    return problems
