"""The calendar file of a confirmation, built once per version of its event: the
same bytes as a fresh build, stamped with the moment of each message."""

from datetime import timedelta

import pytest

from tfc_training.calendar.feeds import build_calendar
from tfc_training.extensions import db
from tfc_training.mail import calendars
from tfc_training.mail import services as mail
from tfc_training.mail.composing import writing_for


@pytest.fixture
def file_for(app):
    """``file_for(event, stamp, tentative=False)``: the message's file, and a fresh
    build of the same for comparison."""

    def build(event, stamp, *, tentative=False):
        with app.test_request_context("/"), writing_for("en"):
            kept = calendars.event_calendar(
                event,
                "PUBLISH",
                tentative=tentative,
                page_url=mail._event_url,
                stamp=stamp,
            )
            fresh = build_calendar(
                [event],
                event.title,
                method="PUBLISH",
                tentative=tentative,
                page_url=mail._event_url,
                stamp=stamp,
            )
        return kept, fresh

    return build


def test_a_kept_file_is_the_fresh_one_with_its_own_stamp(file_for, make_event, now):
    event = make_event(title="Listening group")

    first, first_fresh = file_for(event, now)
    later, later_fresh = file_for(event, now + timedelta(minutes=5))

    assert first == first_fresh
    assert later == later_fresh
    assert first != later


def test_a_turn_on_the_waiting_list_gets_its_own_file(file_for, make_event, now):
    event = make_event()

    placed, _ = file_for(event, now)
    waiting, fresh = file_for(event, now, tentative=True)

    assert waiting == fresh
    assert b"STATUS:TENTATIVE" in waiting
    assert b"STATUS:CONFIRMED" in placed


@pytest.mark.parametrize(
    "change",
    [
        lambda event: setattr(event, "title", "Moved and renamed"),
        lambda event: setattr(event, "venue_name", "The new hall"),
        lambda event: setattr(event, "starts_at", event.starts_at + timedelta(hours=1)),
        lambda event: setattr(event.community, "name", "Renamed community"),
    ],
    ids=["title", "venue", "time", "community"],
)
def test_a_changed_event_gets_a_new_file(
    file_for, make_event, make_community, now, change
):
    event = make_event(community_id=make_community(name="Old name").id)
    db.session.refresh(event)
    file_for(event, now)

    change(event)
    db.session.commit()
    changed, fresh = file_for(event, now)

    assert changed == fresh
