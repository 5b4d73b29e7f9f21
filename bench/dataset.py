"""The scale dataset of the benchmark: 10 communities, 5,000 events, 50,000 sign-ups.

:func:`generate` runs the product's own ``flask demo generate`` when the product has
it, and otherwise writes the same amounts here with bulk inserts. Either way the
data is deterministic for a seed, so two runs measure the same thing.
"""

import random
import subprocess
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

COMMUNITIES = 10
EVENTS = 5_000
REGISTRATIONS = 50_000
SEED = 1

EVENT_TYPES = ("awareness", "stakeholder-training", "workshop", "listening-group")
SECTORS = ("schools", "local-business", "consumers", "media", "faith-ngo")
LANGUAGES = ("en", "es", "zh", "ko")
DESCRIPTION = (
    "An evening for residents on how trafficking shows up in Los Angeles, the"
    " warning signs and where to call.\n\n- Bring a friend\n- Spanish spoken\n\n"
    "Call the **National Human Trafficking Hotline** at 1-888-373-7888."
)


def product_has_generate(flask, env, cwd) -> bool:
    """Whether this version of the product offers ``flask demo generate``."""
    answer = subprocess.run(
        [flask, "--app", "wsgi", "demo", "generate", "--help"],
        cwd=cwd,
        env=env,
        capture_output=True,
        check=False,
    )
    return answer.returncode == 0


def generate(flask, env, cwd, *, now: datetime) -> str:
    """Fill the database named in ``env``; return which generator did it."""
    if product_has_generate(flask, env, cwd):
        subprocess.run(
            [
                flask,
                "--app",
                "wsgi",
                "demo",
                "generate",
                "--communities",
                str(COMMUNITIES),
                "--events",
                str(EVENTS),
                "--registrations",
                str(REGISTRATIONS),
                "--seed",
                str(SEED),
            ],
            cwd=cwd,
            env=env,
            check=True,
        )
        return "flask demo generate"

    from tfc_training import create_app
    from tfc_training.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": env["TFC_SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": env["TFC_SECRET_KEY"],
        }
    )
    with app.app_context():
        bulk_insert(now=now)
        db.session.commit()
        db.engine.dispose()
    return "bench/dataset.py bulk insert"


def bulk_insert(*, now: datetime) -> None:
    """Write the dataset with a handful of multi-row INSERTs, in the caller's
    transaction: events spread from three weeks ago to a year ahead, ten sign-ups
    each on average, all through the models' tables."""
    from tfc_training.communities.models import Community
    from tfc_training.events.models import Event, EventLanguage, event_sector
    from tfc_training.extensions import db
    from tfc_training.registration.models import ManageToken, Registration
    from tfc_training.registration.tokens import hash_token

    rng = random.Random(SEED)
    session = db.session
    now = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)

    session.execute(
        insert(Community),
        [
            {
                "slug": f"bench-community-{n}",
                "name": f"TraffickFree Bench {n}",
                "area": f"Area {n}",
                "description": "A neighbourhood group.",
                "created_at": now,
                "updated_at": now,
            }
            for n in range(1, COMMUNITIES + 1)
        ],
    )
    community_ids = list(session.scalars(select(Community.id).order_by(Community.id)))

    events = []
    for n in range(1, EVENTS + 1):
        starts = now + timedelta(hours=rng.randrange(-21 * 24, 365 * 24))
        events.append(
            {
                "slug": f"bench-event-{n}",
                "title": f"Community event {n}",
                "type": rng.choice(EVENT_TYPES),
                "community_id": rng.choice(community_ids),
                "description": DESCRIPTION,
                "timezone": "America/Los_Angeles",
                "all_day": False,
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
                "venue_name": "Community hall",
                "venue_address": f"{n} Main St, Los Angeles, CA",
                "capacity": rng.choice((None, 30, 50, 100)),
                "status": "published",
                "requires_approval": False,
                "sequence": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
    session.execute(insert(Event), events)
    event_ids = list(session.scalars(select(Event.id).order_by(Event.id)))

    session.execute(
        insert(event_sector),
        [
            {"event_id": event_id, "sector_slug": sector}
            for event_id in event_ids
            for sector in rng.sample(SECTORS, 2)
        ],
    )
    session.execute(
        insert(EventLanguage),
        [
            {"event_id": event_id, "code": code, "position": position}
            for event_id in event_ids
            for position, code in enumerate(rng.sample(LANGUAGES, 2))
        ],
    )

    rows = [
        {
            "event_id": rng.choice(event_ids),
            "name": f"Bench Person {n}",
            "email": f"bench-person-{n}@example.org",
            "language": "en",
            "consented_at": now,
            "status": "confirmed",
            "source": "online",
            "created_at": now,
            "updated_at": now,
        }
        for n in range(1, REGISTRATIONS + 1)
    ]
    for start in range(0, len(rows), 5_000):
        session.execute(insert(Registration), rows[start : start + 5_000])
    registration_ids = list(
        session.scalars(select(Registration.id).order_by(Registration.id))
    )
    for start in range(0, len(registration_ids), 5_000):
        session.execute(
            insert(ManageToken),
            [
                {
                    "registration_id": registration_id,
                    "token_hash": hash_token(f"bench-{registration_id}"),
                    "created_at": now,
                }
                for registration_id in registration_ids[start : start + 5_000]
            ],
        )
