# The access table's ``site`` fixture is imported, and taken by name as a fixture.
# ruff: noqa: F401, F811
"""Hostile and random input to every form and both imports.

The forms are found on the app: every POST route of the access table in
``test_access.py`` (which must name every route) is opened as a person allowed to
use it, the fields of its form are read from the page, and each example sends them
back with some values kept and others replaced by something hostile: very long
text, control characters, CRLF, HTML and script, SQL fragments, numbers where words
belong, several values for one field and bytes that are not UTF-8. Then:

- the answer is never a 5xx;
- a refusal (4xx) changes no row of any table;
- nothing sent reaches a page as markup, or a feed as a property of its own.

The CSV import runs through the organiser's upload and the YAML import through
``flask events import``. Examples are derandomized and few, so that the module
stays quick; the same inputs are tried on every run.
"""

import io
import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
import yaml
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from security_support import every_row, url_of
from test_access import EXPECTED, ROLES, every_route, site

from tfc_training.events.csv_import import COLUMNS
from tfc_training.events.models import Event
from tfc_training.extensions import db

#: Script that must never come back as markup; escaped, it is harmless text.
SCRIPT = "<script>fuzz()</script>"
RAW_SCRIPT = re.compile(r"<script>fuzz\(\)", re.IGNORECASE)

#: A line that would become a property of its own if a feed let CRLF through.
FEED_INJECTION = "x\r\nX-FUZZ:injected\r\nATTENDEE:mailto:fuzz@example.org"

FIXED_HOSTILE = [
    SCRIPT,
    f'"><img src=x onerror=alert(1)>{SCRIPT}',
    f"javascript:{SCRIPT}",
    "' OR '1'='1' --",
    "'); DROP TABLE registration; --",
    "%s%s%s%n",
    "{{ config.SECRET_KEY }}",
    "\x00\x01\x02\x1b[31m",
    "\u202e\u200b\ufeff",
    FEED_INJECTION,
    "line one\r\nBcc: fuzz@example.org",
    "-1",
    "99999999999999999999999",
    "1e308",
    "NaN",
    "2031-02-30T25:61",
    "../../../../etc/passwd",
    "",
    " ",
]

SETTINGS = settings(
    derandomize=True,
    # Examples change the database, so a failing one is reported as it was found
    # rather than shrunk against a database that has moved on.
    phases=[Phase.explicit, Phase.generate],
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def hostile_text():
    """Text that a form or a file should refuse, or keep as plain text."""
    return st.one_of(
        st.sampled_from(FIXED_HOSTILE),
        st.text(max_size=30),
        st.text(min_size=1, max_size=4).map(lambda part: part * 3000),
        st.tuples(st.text(max_size=8), st.text(max_size=8)).map(
            lambda parts: f"{parts[0]}\r\n{SCRIPT}{parts[1]}"
        ),
        st.integers().map(str),
        st.floats(allow_nan=True).map(str),
    )


def hostile_value():
    """A form value: hostile text, bytes that are not UTF-8, or several values."""
    return st.one_of(
        hostile_text(),
        st.binary(min_size=1, max_size=12).map(lambda raw: b"\xff\xfe" + raw),
        st.lists(hostile_text(), min_size=2, max_size=3),
    )


# --- Reading the forms ---------------------------------------------------------------


class FormReader(HTMLParser):
    """The fields of the POST forms of a page that send to ``path``, with the values
    the page fills in, and the choices of each list or box."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.in_form = False
        self.values: dict[str, list] = {}
        self.choices: dict[str, list[str]] = {}
        self.files: set[str] = set()
        self._select = None
        self._option = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            action = urlsplit(attrs.get("action") or self.path).path
            self.in_form = (attrs.get("method") or "").lower() == "post" and (
                action == self.path
            )
            return
        if not self.in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            self.values.setdefault(name, [])
            if kind == "file":
                self.files.add(name)
            elif kind in ("checkbox", "radio"):
                self.choices.setdefault(name, []).append(attrs.get("value") or "y")
                if "checked" in attrs:
                    self.values[name].append(attrs.get("value") or "y")
            elif kind not in ("submit", "button"):
                self.values[name].append(attrs.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, [])
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            self.choices.setdefault(self._select, []).append(value)
            if "selected" in attrs:
                self.values[self._select].append(value)
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = [""]

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def read_form(client, url: str) -> FormReader:
    reader = FormReader(urlsplit(url).path)
    response = client.get(url)
    if response.status_code == 200 and response.mimetype == "text/html":
        reader.feed(response.get_data(as_text=True))
    return reader


KEEP, DROP = "keep", "drop"
FIELD_ACTIONS = [KEEP, KEEP, KEEP, KEEP, DROP, "hostile", "hostile", "choice"]


def form_body(draw, form: FormReader, seed: dict) -> tuple[bytes | dict, str | None]:
    """Draw one submission: each field kept, dropped, chosen or made hostile."""
    fields = {name: list(values) for name, values in form.values.items()}
    for name, value in seed.items():
        fields[name] = value if isinstance(value, list) else [value]

    pairs = []
    for name in sorted(fields):
        if name == "csrf_token" or name in form.files:
            continue
        # Most fields keep their good value, so that a hostile one is often the
        # only change, gets accepted, and must then be shown safely.
        action = draw(st.sampled_from(FIELD_ACTIONS))
        if action == "choice" and name not in form.choices:
            action = KEEP
        if action == KEEP:
            values = fields[name]
        elif action == DROP:
            values = []
        elif action == "choice":
            values = [draw(st.sampled_from(form.choices[name]))]
        else:
            value = draw(hostile_value())
            values = value if isinstance(value, list) else [value]
        pairs += [(name, value) for value in values]

    if form.files:
        # A multipart body carries text fields as text: bytes go as Latin-1.
        text = {
            name: value.decode("latin-1") if isinstance(value, bytes) else value
            for name, value in pairs
        }
        files = {
            name: (io.BytesIO(draw(csv_file())), "events.csv") for name in form.files
        }
        return {**text, **files}, None
    return urlencode(pairs).encode("ascii"), "application/x-www-form-urlencoded"


# --- What must hold after each example ----------------------------------------------


def assert_refusal_changed_nothing(response, before, what):
    status = response.status_code
    assert status < 500, f"{what}: {status}"
    if 400 <= status < 500:
        assert every_row() == before, f"{what}: refused with {status}, but wrote"


def carries_a_marker(sent) -> bool:
    """Whether what was sent holds the script or the feed line; only then can a page
    or feed show it, so only then are they read (which keeps the module quick)."""
    return "fuzz" in repr(sent)


def pages_to_read(app, site) -> list[str]:
    """The pages and feeds that show what forms and imports write: the lists, and
    those of the site's event and of the event changed last."""
    latest = db.session.scalar(
        db.select(Event.slug).order_by(Event.updated_at.desc(), Event.id.desc())
    )
    slugs = {site["event"].slug, latest} - {None}
    urls = ["/", "/events/", "/communities/", "/calendar.ics"]
    urls += [url_of(app, "communities.detail", {"slug": site["home"].slug})]
    for slug in slugs:
        urls += [
            url_of(app, "events.detail", {"slug": slug}),
            url_of(app, "calendar.event_feed", {"slug": slug}),
            url_of(app, "organise.registrants", {"slug": slug}),
            url_of(app, "organise.checkin", {"slug": slug}),
            url_of(app, "organise.audit_trail", {"slug": slug}),
        ]
    return urls


def assert_nothing_unescaped(app, client, site):
    """No page holds the script as markup; no feed grew a property from input."""
    db.session.expire_all()
    for url in pages_to_read(app, site):
        response = client.get(url)
        assert response.status_code < 500, url
        body = response.get_data(as_text=True)
        if response.mimetype == "text/calendar" and response.status_code == 200:
            names = {
                key
                for component in Calendar.from_ical(body).walk()
                for key in component
            }
            assert "X-FUZZ" not in names, f"{url}: a line break made a property"
            assert "ATTENDEE" not in names, f"{url}: a line break made a property"
        elif response.mimetype == "text/html":
            assert not RAW_SCRIPT.search(body), f"{url}: script shown as markup"


def role_for(endpoint: str) -> str:
    """The person most able to use a form: the first role it lets through, from the
    most trusted down, so that organiser forms are tried as someone who may send
    them."""
    route = EXPECTED[(endpoint, "POST")]
    for role in reversed(ROLES):
        if route.status_for(role) not in {302, 403, 404}:
            return role
    return "admin"


def signed_in(app, login, site, role):
    client = app.test_client()
    if role != "anonymous":
        assert login(client, site[role]).status_code == 303
    return client


POSTS = sorted(endpoint for endpoint, method in EXPECTED if method == "POST")


def test_every_post_route_is_fuzzed(app):
    posts = {endpoint for endpoint, method in every_route(app) if method == "POST"}

    assert sorted(posts - set(POSTS)) == []


@pytest.fixture
def app_config(tmp_path):
    """E-mail that the examples cause goes to files the test forgets."""
    return {"MAIL_FOLDER": str(tmp_path / "mail")}


@pytest.fixture
def forms_read():
    """The form of each route, read once: the examples then all send the same
    fields, whatever an earlier example changed on the page."""
    return {}


@pytest.mark.parametrize("endpoint", POSTS)
@settings(SETTINGS, max_examples=5)
@given(data=st.data())
def test_forms_survive_hostile_input(app, login, site, forms_read, endpoint, data):
    route = EXPECTED[(endpoint, "POST")]
    role = role_for(endpoint)
    url = url_of(app, endpoint, route.values(site))
    client = signed_in(app, login, site, role)
    if endpoint not in forms_read:
        forms_read[endpoint] = read_form(client, url)
    form = forms_read[endpoint]
    before = every_row()

    body, content_type = form_body(data.draw, form, route.data(site))
    if content_type is None:
        response = client.post(url, data=body, content_type="multipart/form-data")
    else:
        response = client.post(url, data=body, content_type=content_type)

    assert_refusal_changed_nothing(response, before, f"{endpoint} as {role}")
    if response.status_code < 400 and carries_a_marker(body):
        assert_nothing_unescaped(app, signed_in(app, login, site, "admin"), site)


# --- The imports -------------------------------------------------------------------


def good_event(**changes) -> dict:
    """An event an import accepts, before an example changes it."""
    return {
        "slug": "fuzzed-event",
        "title": "Fuzzed evening",
        "type": "awareness",
        "community": "home",
        "sectors": "schools",
        "languages": "en",
        "start": "2031-02-03 17:00",
        "end": "2031-02-03 19:00",
        "venue_name": "Hall",
        "description": "Plain words.",
        **changes,
    }


#: Columns where hostile text can be accepted, and so must be shown safely; they are
#: drawn more often than the others.
TEXT_COLUMNS = ["title", "description", "venue_name", "venue_address"]


@st.composite
def csv_file(draw) -> bytes:
    """A CSV file of events: good rows made hostile, or bytes that are not CSV."""
    if draw(st.integers(0, 7)) == 0:
        return draw(st.binary(max_size=200))

    rows = []
    for number in range(draw(st.integers(1, 2))):
        event = good_event(slug=f"fuzzed-{number}")
        columns = st.sampled_from(TEXT_COLUMNS * 3 + list(COLUMNS))
        for column in draw(st.lists(columns, max_size=2)):
            event[column] = draw(hostile_text())
        rows.append(event)
    columns = [column for column in COLUMNS if column in rows[0]]
    lines = [",".join(columns)]
    for row in rows:
        cells = [str(row.get(column, "")).replace('"', '""') for column in columns]
        lines.append(",".join(f'"{cell}"' for cell in cells))
    raw = "\r\n".join(lines).encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 7)) == 0:
        return raw + b"\xff\xfe\x00"
    return raw


@settings(SETTINGS, max_examples=15)
@given(raw=csv_file())
def test_csv_upload_survives_hostile_files(app, login, site, raw):
    client = signed_in(app, login, site, "admin")
    before = every_row()

    response = client.post(
        "/organise/import",
        data={"file": (io.BytesIO(raw), "events.csv")},
        content_type="multipart/form-data",
    )

    assert_refusal_changed_nothing(response, before, "the CSV upload")
    if response.status_code < 400 and carries_a_marker(raw):
        assert_nothing_unescaped(app, client, site)


@st.composite
def yaml_file(draw) -> bytes:
    """A YAML file of events: a good one made hostile, or text that is not YAML."""
    choice = draw(st.integers(0, 7))
    if choice == 0:
        return draw(st.binary(max_size=200))
    if choice == 1:
        return draw(hostile_text()).encode("utf-8", "surrogatepass")

    event = good_event()
    event["sectors"] = [event["sectors"]]
    event["languages"] = [event["languages"]]
    event["venue"] = {"name": event.pop("venue_name")}
    keys = st.sampled_from(["title", "description"] * 3 + sorted(event))
    for key in draw(st.lists(keys, max_size=2)):
        event[key] = draw(
            st.one_of(
                hostile_text(),
                st.integers(),
                st.lists(hostile_text(), max_size=2),
                st.dictionaries(st.text(max_size=5), hostile_text(), max_size=2),
                st.none(),
            )
        )
    document = {"events": [event]}
    if draw(st.booleans()):
        document["communities"] = [
            {"slug": draw(hostile_text()), "name": draw(hostile_text()), "area": "X"}
        ]
    return yaml.safe_dump(document, allow_unicode=True).encode("utf-8", "surrogatepass")


@settings(SETTINGS, max_examples=15)
@given(raw=yaml_file())
# A control character that YAML itself refuses, before any field is read.
@example(raw=b"events:\n  - slug: fuzzed-event\n    title: x\x01y\n")
def test_yaml_import_survives_hostile_files(app, login, runner, site, tmp_path, raw):
    path = tmp_path / "events.yaml"
    path.write_bytes(raw)
    before = every_row()

    result = runner.invoke(args=["events", "import", str(path)])

    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception
    )
    if result.exit_code == 1:
        assert every_row() == before, "a refused import wrote"
    elif carries_a_marker(raw):
        assert_nothing_unescaped(app, signed_in(app, login, site, "admin"), site)


# --- Parts of a request that no browser sends -------------------------------------


def page_values(form: FormReader, seed: dict) -> dict[str, list]:
    """The values the page fills in, with the access table's data over them."""
    fields = {
        name: list(values)
        for name, values in form.values.items()
        if name not in form.files
    }
    for name, value in seed.items():
        fields[name] = value if isinstance(value, list) else [value]
    return fields


def assert_no_nul_stored():
    for table, rows in every_row().items():
        assert "\\x00" not in repr(rows), f"a NUL was stored in {table}"


def filled_form(app, login, site, endpoint):
    """A client of the role that may send ``endpoint``'s form, its address, and the
    values its page gives, filled in as the route's test data says."""
    route = EXPECTED[(endpoint, "POST")]
    url = url_of(app, endpoint, route.values(site))
    client = signed_in(app, login, site, role_for(endpoint))
    return client, url, page_values(read_form(client, url), route.data(site))


@pytest.mark.parametrize("endpoint", POSTS)
def test_a_file_in_place_of_any_text_field_is_answered_cleanly(
    app, login, site, endpoint
):
    client, url, fields = filled_form(app, login, site, endpoint)

    for name in sorted(set(fields) - {"csrf_token"}):
        before = every_row()
        data = {**fields, name: (io.BytesIO(b"=cmd|' /C calc'!A0"), "part.txt")}
        response = client.post(url, data=data, content_type="multipart/form-data")

        assert_refusal_changed_nothing(
            response, before, f"{endpoint}: a file in {name}"
        )


@pytest.mark.parametrize("endpoint", POSTS)
def test_a_nul_in_any_field_is_refused_before_it_reaches_the_database(
    app, login, site, endpoint
):
    client, url, fields = filled_form(app, login, site, endpoint)

    for name in sorted(set(fields) - {"csrf_token"}):
        before = every_row()
        data = {**fields, name: [f"{value}\x00" for value in fields[name] or [""]]}
        response = client.post(url, data=data)

        assert_refusal_changed_nothing(response, before, f"{endpoint}: NUL in {name}")
        assert_no_nul_stored()


def test_a_nul_in_the_login_address_is_refused_with_the_usual_message(client):
    response = client.post(
        "/login", data={"email": "a\x00@example.org", "password": "pw"}
    )

    assert response.status_code == 400
    assert "invisible control character" in response.get_data(as_text=True)


# --- Every route, by address ------------------------------------------------------

#: Ids past what the database holds: the first that PostgreSQL refuses in an
#: ``INTEGER``, and one that no 64-bit integer holds, which SQLite refuses.
HUGE_IDS = [2**31, 10**20]

INT_PART = re.compile(r"<int:(\w+)>")


def int_routes(app) -> list[tuple[str, str, tuple[str, ...]]]:
    """Each endpoint and method whose address holds whole numbers, with their names."""
    routes = []
    for rule in app.url_map.iter_rules():
        names = tuple(INT_PART.findall(rule.rule))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if names:
                routes.append((rule.endpoint, method, names))
    return routes


def test_int_routes_are_found(app):
    # The walk below must not pass by walking nothing.
    assert len(int_routes(app)) >= 10


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_huge_ids_in_any_address_are_not_found(app, login, site, huge):
    client = signed_in(app, login, site, "admin")
    for endpoint, method, names in int_routes(app):
        values = {**EXPECTED[(endpoint, method)].values(site)}
        values.update(dict.fromkeys(names, huge))
        url = url_of(app, endpoint, values)

        response = client.open(url, method=method)

        assert response.status_code == 404, f"{method} {url}"


GETS = sorted(endpoint for endpoint, method in EXPECTED if method == "GET")


def reader_for(endpoint: str) -> str:
    """The most trusted role that gets the page itself, not a refusal or redirect."""
    route = EXPECTED[(endpoint, "GET")]
    for role in reversed(ROLES):
        if route.status_for(role) not in {302, 403, 404}:
            return role
    return "admin"


@pytest.mark.parametrize("endpoint", GETS)
def test_head_answers_as_get_does(app, login, site, endpoint):
    route = EXPECTED[(endpoint, "GET")]
    client = signed_in(app, login, site, reader_for(endpoint))
    url = url_of(app, endpoint, route.values(site))

    head = client.head(url)
    get = client.get(url)

    assert head.status_code == get.status_code, url
    assert head.get_data() == b""
