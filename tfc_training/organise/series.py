"""Repeating events: making a series, and changing it from a date onward.

Each date of a series is an ordinary event, with its own page, places and sign-ups,
so cancelling or moving one date is done with the functions of
:mod:`.services` on that event. What needs the series as a whole lives here. Like
those functions, these flush but do not commit.
"""

import logging
import uuid
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..database import begin_write
from ..events.models import Event, EventSeries
from ..events.recurrence import Rule, RuleError, local_starts, to_instant
from ..extensions import db
from ..registration.models import Registration
from .forms import slug_taken
from .services import ActionRefused, cancel_event, create_event, update_event

logger = logging.getLogger(__name__)

#: Room left in a slug for the date that follows the series' own part.
SERIES_SLUG_LENGTH = 100


def create_series(
    values: Mapping,
    rule: Rule,
    *,
    actor,
    now: datetime,
    source: str | None = None,
    nonce: str | None = None,
) -> EventSeries:
    """Make a series from event ``values`` and a rule, with one event per date.

    ``values`` are those of :func:`.services.create_event` for the first date
    asked for; the series starts on the first date on or after it that the rule
    gives. Sign-up opens and closes as long before each date as before the first.
    ``nonce``, the one-time value of the form it came from, goes on the trail of
    the first date, where a second copy of the form finds it.

    :raise ActionRefused: for a rule that cannot be used, saying why.
    """
    begin_write()
    series = EventSeries(
        uid=_new_uid(),
        slug=values["slug"][:SERIES_SLUG_LENGTH].strip("-"),
        timezone=values["timezone"],
        sequence=0,
        created_at=now,
        updated_at=now,
    )
    starts = _expand(series, values, rule)
    db.session.add(series)
    db.session.flush()

    for number, local in enumerate(starts):
        _add_occurrence(
            series,
            values,
            local,
            actor=actor,
            now=now,
            source=source,
            nonce=nonce if number == 0 else None,
        )
    logger.info("series %s created with %s dates", series.id, len(starts))
    return series


def split_series(
    occurrence: Event, values: Mapping, rule: Rule, *, actor, now: datetime
) -> EventSeries:
    """Change a series from the date of ``occurrence`` onward; earlier dates stay.

    The old series now ends the day before; a new series, with a new calendar UID,
    starts on the first date the new rule gives on or after the start in
    ``values``. The old series' dates from then on are matched, in order, with the
    new dates and changed to them, so their sign-ups stay and their registrants are
    told of a new time or place. Old dates left over are cancelled, and their
    registrants told, or deleted when nobody ever signed up; new dates left over
    are added.

    :raise ActionRefused: for a date that has begun, for a rule that cannot be
        used, for a start before the date being changed, or when a date would get
        fewer places than people already confirmed for it.
    """
    begin_write()
    old = db.session.scalar(
        select(EventSeries)
        .where(EventSeries.id == occurrence.series_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    # Read again under the lock: another organiser may have changed the series
    # between the moment the form was shown and now.
    db.session.refresh(occurrence)
    if old is None or occurrence.series_id != old.id:
        raise ActionRefused(
            _("This series was changed meanwhile. Reload the page and try again."),
            field="scope",
        )
    if occurrence.starts_at <= now:
        raise ActionRefused(
            _(
                "This date has already begun, and dates that took place stay as they"
                " were. Change the series from a coming date."
            ),
            field="scope",
        )

    zone = old.zone
    split_on = occurrence.recurrence_id.astimezone(zone).date()
    first_local = values["starts_at"].astimezone(_zone(values)).replace(tzinfo=None)
    if first_local.date() < split_on:
        raise ActionRefused(
            _(
                "From this date on, the series cannot start before %(date)s.",
                date=split_on.isoformat(),
            ),
            field="starts_at",
        )

    new = EventSeries(
        uid=_new_uid(),
        slug=old.slug,
        timezone=values["timezone"],
        sequence=0,
        created_at=now,
        updated_at=now,
    )
    starts = _expand(new, values, rule)
    db.session.add(new)

    occurrences = sorted(old.occurrences, key=lambda event: event.recurrence_id)
    earlier = [o for o in occurrences if _local_date(o, zone) < split_on]
    later = [o for o in occurrences if _local_date(o, zone) >= split_on]
    kept = [o for o in later if o.status != "cancelled"]
    status = "published" if any(o.status == "published" for o in later) else "draft"
    db.session.flush()

    for event, local in zip(kept, starts, strict=False):
        _reassign(event, new, values, local, actor=actor, now=now)
    for event in kept[len(starts) :] + [o for o in later if o.status == "cancelled"]:
        _retire(event, actor=actor, now=now)
    for local in starts[len(kept) :]:
        _add_occurrence(new, {**values, "status": status}, local, actor=actor, now=now)

    if earlier:
        old.until = split_on - timedelta(days=1)
        old.count = None
        old.touch(now)
    else:
        db.session.flush()
        db.session.delete(old)
    db.session.flush()
    logger.info("series %s continued as series %s", old.id, new.id)
    return new


# --- Internals ------------------------------------------------------------------


def _zone(values: Mapping) -> ZoneInfo:
    return ZoneInfo(values["timezone"])


def _new_uid() -> str:
    return f"series-{uuid.uuid4()}@{current_app.config['SITE_HOST']}"


def _expand(series: EventSeries, values: Mapping, rule: Rule) -> list[datetime]:
    """Set the series' rule and times from ``values``; return the local starts."""
    zone = _zone(values)
    first = values["starts_at"].astimezone(zone).replace(tzinfo=None)
    duration = values["ends_at"] - values["starts_at"]
    if values.get("all_day"):
        raise ActionRefused(_("A repeating event needs a start and end time."))
    try:
        starts = local_starts(rule, first)
    except RuleError as error:
        raise ActionRefused(str(error), field="repeat") from None

    series.freq = rule.freq
    series.every = rule.every
    series.weekdays = ",".join(rule.weekdays) or None
    series.month_day = rule.month_day
    series.week_of_month = rule.week_of_month
    series.until = rule.until
    series.count = rule.count
    series.starts_on = starts[0].date()
    series.start_time = starts[0].time()
    series.duration_minutes = max(1, int(duration.total_seconds() // 60))
    return starts


def dated_values(values: Mapping, local: datetime) -> dict:
    """``values`` moved to the date starting at ``local``, sign-up window with it."""
    zone = _zone(values)
    start = to_instant(local, zone)
    shift = start - values["starts_at"]
    dated = {**values, "starts_at": start, "ends_at": values["ends_at"] + shift}
    for name in ("registration_opens_at", "registration_closes_at"):
        if values.get(name) is not None:
            dated[name] = values[name] + shift
    return dated


def _occurrence_slug(series: EventSeries, day: date) -> str:
    base = f"{series.slug}-{day.isoformat()}"
    slug, number = base, 2
    while slug_taken(slug):
        slug = f"{base}-{number}"
        number += 1
    return slug


def _add_occurrence(
    series, values, local, *, actor, now, source=None, nonce=None
) -> Event:
    dated = dated_values(values, local)
    dated["slug"] = _occurrence_slug(series, local.date())
    event = create_event(dated, actor=actor, now=now, source=source, nonce=nonce)
    event.series = series
    event.recurrence_id = dated["starts_at"]
    db.session.flush()
    return event


def _reassign(event, series, values, local, *, actor, now) -> None:
    """Make an old date one of the new series, and give it the new values."""
    dated = dated_values(values, local)
    dated["slug"] = event.slug
    dated.pop("status", None)
    event.series = series
    event.recurrence_id = dated["starts_at"]
    db.session.flush()
    update_event(event, dated, actor=actor, now=now)


def _retire(event: Event, *, actor, now: datetime) -> None:
    """Take an old date out of its series: cancelled if anyone signed up, else gone."""
    event.series = None
    event.recurrence_id = None
    db.session.flush()

    signed_up = db.session.scalar(
        select(func.count(Registration.id)).where(Registration.event_id == event.id)
    )
    if not signed_up:
        db.session.delete(event)
        db.session.flush()
        return
    if event.status == "published" and event.ends_at > now:
        cancel_event(event, actor=actor, now=now)


def _local_date(event: Event, zone) -> date:
    return event.recurrence_id.astimezone(zone).date()
