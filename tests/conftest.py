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
from redis_support import REDIS_URL
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from tfc_training import create_app
from tfc_training.communities.models import Community, Sector
from tfc_training.events.models import Event, EventLanguage
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
        # Tests read the mail a request sent as soon as it is answered; those of the
        # background sender turn it on.
        "MAIL_SEND_IN_BACKGROUND": False,
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
                not POSTGRES_URL,
                reason="set TFC_TEST_POSTGRES_URL to run on PostgreSQL",
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
    # DELETE in dependency order is many times faster than TRUNCATE on tables this
    # small; ids do not restart, so tests never assume them.
    tables = [t for t in db.metadata.sorted_tables if t.name not in REFERENCE_TABLES]
    with request.getfixturevalue("postgres_cleaner").begin() as connection:
        for table in reversed(tables):
            connection.execute(table.delete())
    return url


@pytest.fixture(params=BACKENDS)
def empty_database_uri(request, tmp_path):
    """A database with no tables at all, on each backend, for tests of the schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return

    admin_url = make_url(POSTGRES_URL)
    name = f"tfc_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin_url.set(database=name).render_as_string(hide_password=False)

    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_cleaner(postgres_database):
    """One connection pool for emptying the tables between tests."""
    engine = create_engine(postgres_database)
    yield engine
    engine.dispose()


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in the local Redis, emptied afterwards.

    Without Redis the test is skipped on a developer's machine, and fails in CI,
    where it must be there.
    """
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        message = f"Redis at {REDIS_URL} cannot be reached ({type(error).__name__})"
        if os.environ.get("CI"):
            pytest.fail(f"tests that need Redis must run in CI: {message}")
        pytest.skip(message)

    prefix = f"tfc-test-{uuid.uuid4().hex}"
    yield prefix
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)
    client.close()


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
def app_for():
    """Build an app with the test settings on any database: ``app_for(uri)``."""

    def build(database_uri, **extra):
        return create_app(_test_config(database_uri, **extra))

    return build


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


_PASSWORD_HASHES: dict[str, str] = {}


def _password_hash(password):
    """Hash each test password once per run: scrypt is slow on purpose."""
    from werkzeug.security import generate_password_hash

    if password not in _PASSWORD_HASHES:
        _PASSWORD_HASHES[password] = generate_password_hash(password)
    return _PASSWORD_HASHES[password]


@pytest.fixture
def make_user(app):
    """Build an active account; ``organises`` and ``member_of`` take communities."""
    from tfc_training.accounts.models import Membership, User

    counter = iter(range(1, 10_000))

    def build(
        email=None,
        name=None,
        password="correct horse battery",
        is_admin=False,
        organises=(),
        member_of=(),
        **values,
    ):
        number = next(counter)
        user = User(
            email=email or f"person{number}@example.org",
            name=name or f"Person {number}",
            password_hash=_password_hash(password) if password is not None else None,
            is_admin=is_admin,
            **values,
        )
        for role, communities in (("organiser", organises), ("member", member_of)):
            for community in communities:
                community_id = getattr(community, "id", community)
                user.memberships.append(
                    Membership(community_id=community_id, role=role)
                )
        db.session.add(user)
        db.session.commit()
        return user

    return build


def login(client, user, password="correct horse battery"):
    """Log ``user`` in through the login form and return the response."""
    return client.post("/login", data={"email": user.email, "password": password})


@pytest.fixture(name="login")
def login_fixture():
    """The ``login(client, user, password=...)`` helper, as a fixture."""
    return login


# --- E-mail --------------------------------------------------------------------


@pytest.fixture(autouse=True)
def mail_folder(tmp_path, monkeypatch):
    """Write the ``.eml`` files of a test without SMTP server into its own folder.

    Set through the environment, since the ``app`` fixture reads it when it builds
    the app; a test's ``app_config`` still wins.
    """
    folder = tmp_path / "mail"
    monkeypatch.setenv("TFC_MAIL_FOLDER", str(folder))
    return folder


class SMTPTestServer:
    """A real SMTP server on loopback that keeps what it receives.

    It can be stopped and started again on the same port, to play a mail server
    that is down for a while. Addresses in ``refused`` are answered with 550.
    """

    def __init__(self, port):
        self.port = port
        self.received = []
        self.refused = set()
        self._controller = None

    def start(self):
        from aiosmtpd.controller import Controller

        self._controller = Controller(
            _SMTPCollector(self), hostname="127.0.0.1", port=self.port
        )
        self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address):
        """The messages received for ``address``, oldest first."""
        return [message for message in self.received if address in message.recipients]


class _SMTPCollector:
    def __init__(self, server):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.server.refused:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from mail_support import Received, parse

        self.server.received.append(
            Received(
                recipients=list(envelope.rcpt_tos),
                message=parse(envelope.original_content or envelope.content),
                sender=envelope.mail_from,
            )
        )
        return "250 Message accepted for delivery"


def _free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(app):
    """An SMTP server on loopback, running, that the app sends its e-mail to."""
    server = SMTPTestServer(_free_port())
    server.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    yield server
    server.stop()


class ASCIIOnlySMTPTestServer(SMTPTestServer):
    """The test server without SMTPUTF8, as many servers are: it takes only
    addresses written in ASCII."""

    def start(self):
        from aiosmtpd.controller import Controller

        self._controller = Controller(
            _SMTPCollector(self),
            hostname="127.0.0.1",
            port=self.port,
            enable_SMTPUTF8=False,
        )
        self._controller.start()


@pytest.fixture
def ascii_smtp_server(app):
    """An SMTP server on loopback that does not offer SMTPUTF8; the app sends to it."""
    server = ASCIIOnlySMTPTestServer(_free_port())
    server.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    yield server
    server.stop()


@pytest.fixture
def silent_smtp_server(app):
    """A server on loopback that accepts connections and never says a word, as a
    mail server does when it hangs; the app sends its e-mail there."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    # Waking up now and then lets the thread see that the test is over.
    listener.settimeout(0.1)
    held = []
    stopping = threading.Event()

    def accept():
        while not stopping.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=listener.getsockname()[1])
    yield listener.getsockname()[1]

    stopping.set()
    thread.join(timeout=10)
    listener.close()
    for connection in held:
        connection.close()
