"""The public pages cost the same number of queries however many events there are."""

from datetime import timedelta

import pytest
from sql_support import counting_queries

from tfc_training.communities.models import Community, Sector
from tfc_training.events.models import Event, EventLanguage
from tfc_training.extensions import db
from tfc_training.registration.models import Registration

SECTORS = ("schools", "media", "law-enforcement")
LANGUAGES = ("en", "es", "ko")


@pytest.fixture
def app_config():
    # Small pages, so that even ten events fill more than one.
    return {"EVENTS_PER_PAGE": 4}


@pytest.fixture
def communities(app):
    communities = [
        Community(
            slug=f"community-{number}", name=f"Community {number}", area="Downtown"
        )
        for number in range(3)
    ]
    db.session.add_all(communities)
    db.session.commit()
    return communities


@pytest.fixture
def add_events(app, now, communities):
    """Add events until there are ``total`` upcoming and ``total`` past ones."""
    sectors = [db.session.get(Sector, slug) for slug in SECTORS]
    added = 0

    def add(total):
        nonlocal added
        for number in range(added, total):
            for slug, days in (
                (f"event-{number}", number + 1),
                (f"past-event-{number}", -(number + 1)),
            ):
                add_event(
                    slug, number, now + timedelta(days=days), sectors, communities, now
                )
        added = total
        db.session.commit()

    return add


def add_event(slug, number, starts_at, sectors, communities, now):
    """Add one event that varies with ``number``: host, status, places, audience."""
    event = Event(
        slug=slug,
        title=f"Event {number}",
        type="awareness",
        status="cancelled" if number % 7 == 0 else "published",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        venue_name="Community hall",
        capacity=5 if number % 2 else None,
        # Every fourth event is network-wide, the others belong to a community.
        community=None if number % 4 == 0 else communities[number % 3],
        sectors=sectors[: 1 + number % 3],
        languages=[
            EventLanguage(code=code, position=position)
            for position, code in enumerate(LANGUAGES[: 1 + number % 2])
        ],
    )
    db.session.add(event)
    db.session.add_all(
        Registration(
            event=event,
            name="Someone",
            email=f"someone-{person}@example.org",
            language="en",
            consented_at=now,
            status="confirmed",
        )
        for person in range(number % 3)
    )


def queries_for(app, path):
    """Fetch a page with a fresh session and return how many queries it made."""
    db.session.remove()
    client = app.test_client()
    with counting_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


PATHS = [
    "/",
    "/events/",
    "/events/?when=past",
    "/events/?page=2",
    "/events/?community=community-1&language=es",
    "/events/?sector=media&type=awareness",
    "/communities/",
    "/communities/community-1/",
]


@pytest.mark.parametrize("path", PATHS)
def test_query_count_does_not_grow_with_events(app, add_events, path):
    add_events(10)
    with_few = queries_for(app, path)

    add_events(200)
    with_many = queries_for(app, path)

    assert with_few == with_many


def test_events_list_uses_a_handful_of_queries(app, add_events):
    add_events(200)

    # Filter choices, count, events, sectors, languages and places taken, plus the
    # transaction itself on SQLite.
    assert queries_for(app, "/events/") <= 8


def test_event_page_query_count_is_fixed(app, add_events):
    add_events(10)

    assert queries_for(app, "/events/event-1/") <= 6
