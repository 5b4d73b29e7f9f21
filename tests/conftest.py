"""Shared fixtures.

Every test that takes ``app`` runs once on SQLite and, when ``TFC_TEST_POSTGRES_URL``
names a server (``postgresql+psycopg://postgres@127.0.0.1:5432/test``), once more on
PostgreSQL. The schema is built by the migrations, once per backend and run; each test
then starts from an empty copy of it.
"""

import os
import shutil
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from tfc_training import create_app
from tfc_training.events.models import Event, EventLanguage
from tfc_training.communities.models import Community, Sector
from tfc_training.extensions import db

POSTGRES_URL = os.environ.get("TFC_TEST_POSTGRES_URL")

#: Tables whose rows come from the migrations and stay between tests.
REFERENCE_TABLES = {"sector", "alembic_version"}


def _test_config(database_uri, **extra):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "SITE_HOST": "tfc.test",
        "WTF_CSRF_ENABLED": False,
        **extra,
    }


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A SQLite file migrated to the newest revision, copied for each test."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite"
    app = create_app(_test_config(f"sqlite:///{path}"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database():
    """A PostgreSQL database of this run's own, migrated once and dropped at the end."""
    admin_url = make_url(POSTGRES_URL)
    name = f"tfc_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)

    app = create_app(_test_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield url

    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgresql,
            pytest.mark.skipif(
                not POSTGRES_URL, reason="set TFC_TEST_POSTGRES_URL to run on PostgreSQL"
            ),
        ],
    ),
]


@pytest.fixture(params=BACKENDS)
def database_uri(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "tfc.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"

    url = request.getfixturevalue("postgres_database")
    engine = create_engine(url)
    tables = [t.name for t in db.metadata.sorted_tables if t.name not in REFERENCE_TABLES]
    with engine.begin() as connection:
        connection.execute(
            text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        )
    engine.dispose()
    return url


@pytest.fixture
def app_config():
    """Extra settings for the ``app`` fixture; override in a test module to change."""
    return {}


@pytest.fixture
def app(database_uri, app_config):
    app = create_app(_test_config(database_uri, **app_config))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def live_server(app):
    """The app served over HTTP on loopback by a threaded server, for real concurrency."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def now():
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def make_community(app):
    counter = iter(range(1, 10_000))

    def build(**values):
        number = next(counter)
        values.setdefault("slug", f"community-{number}")
        values.setdefault("name", f"Community {number}")
        values.setdefault("area", "Downtown")
        values.setdefault("description", "")
        community = Community(**values)
        db.session.add(community)
        db.session.commit()
        return community

    return build


@pytest.fixture
def make_event(app, now):
    """Build a published event a week from now, with any field overridden."""
    counter = iter(range(1, 100_000))

    def build(sectors=("schools",), languages=("en",), **values):
        number = next(counter)
        values.setdefault("slug", f"event-{number}")
        values.setdefault("title", f"Event {number}")
        values.setdefault("type", "awareness")
        values.setdefault("status", "published")
        values.setdefault("timezone", "America/Los_Angeles")
        values.setdefault("starts_at", now + timedelta(days=7))
        values.setdefault("ends_at", values["starts_at"] + timedelta(hours=2))
        values.setdefault("venue_name", "Community hall")
        values.setdefault("venue_address", "100 Main St, Los Angeles, CA")
        event = Event(**values)
        event.sectors = [db.session.get(Sector, slug) for slug in sectors]
        event.languages = [
            EventLanguage(code=code, position=i) for i, code in enumerate(languages)
        ]
        db.session.add(event)
        db.session.commit()
        return event

    return build
