"""Measure the product against a bare Flask app, on SQLite and then PostgreSQL.

    .venv/bin/python bench/run.py [--duration 10] [--backends sqlite,postgresql]

For each database it builds a new database with the migrations, fills it with the
scale dataset (:mod:`dataset`), serves the product and the bare app
(:mod:`bare_app`) under the same gunicorn settings on loopback, drives each route
with wrk (or a small Python load generator when wrk is missing) and prints requests
per second with the ratio to the bare app. It also times building the full feed
in-process against icalendar alone serialising the same events, times sign-ups
in-process against the CPU the sign-up target leaves per sign-up, and reads the
resident memory of the workers. Everything it creates is removed at the end.
"""

import argparse
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset

#: The same server settings for the product and the bare app.
GUNICORN_SETTINGS = [
    "--workers",
    "2",
    "--worker-class",
    "gthread",
    "--threads",
    "4",
    "--log-level",
    "warning",
]
CONNECTIONS = 8
THREADS = 2

#: Runs of each route; the best counts (see ``drive``).
ROUNDS = 3

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

#: Redis for the shared data version; an empty TFC_BENCH_REDIS_URL runs without.
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"

#: The User-Agent of every request that carries a logged-in session.
BENCH_AGENT = "tfc-bench"

#: Ratio to the bare app each route must reach, where the project set one.
TARGETS = {
    "events list": 0.4,
    "event page": 0.4,
    "feed 304": 0.7,
    "sign-up POST": 0.2,
}
#: A fresh build of the full feed may take at most this many times icalendar alone.
FEED_BUILD_TARGET = 1.5

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


# --- Servers --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """Gunicorn serving one WSGI app on a free loopback port."""

    def __init__(self, app, env, cwd):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                *GUNICORN_SETTINGS,
                "--bind",
                f"127.0.0.1:{self.port}",
                app,
            ],
            cwd=cwd,
            env=env,
        )
        try:
            self._wait()
        except BaseException:
            self.stop()
            raise

    def _wait(self):
        for _ in range(600):
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}")
            try:
                status, _, _ = fetch(self.url + "/")
            except OSError:
                time.sleep(0.2)
                continue
            if status < 500 and len(self.worker_pids()) == 2:
                return
            time.sleep(0.2)
        raise SystemExit("gunicorn did not start in two minutes")

    def worker_pids(self):
        pid = self.process.pid
        return [
            int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ]

    def worker_rss_mib(self):
        sizes = []
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sizes

    def wait_idle(self):
        """Wait until the workers have finished what the last load left queued.

        wrk stops sending when its time is up, but the requests it started are
        still being answered; the next route must not be measured against them.
        """
        previous = None
        for _ in range(1200):
            used = sum(self._cpu_ticks(pid) for pid in self.worker_pids())
            if previous is not None and used - previous <= 1:
                return
            previous = used
            time.sleep(0.5)

    @staticmethod
    def _cpu_ticks(pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            return 0
        return int(fields[11]) + int(fields[12])

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def fetch(url, headers=None, method="GET", body=None):
    """One request on a new connection: status, headers and body."""
    address = url.split("/", 3)
    host, port = address[2].split(":")
    path = "/" + (address[3] if len(address) > 3 else "")
    connection = http.client.HTTPConnection(host, int(port), timeout=120)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


# --- Load -----------------------------------------------------------------------


@dataclass
class Load:
    """What one route should be sent: a path, headers, and optionally a Lua script."""

    name: str
    path: str
    headers: dict = field(default_factory=dict)
    lua: str | None = None
    #: For the Python load generator: the method and a body for request ``n``.
    method: str = "GET"
    body: object = None


@dataclass
class Measured:
    requests_per_second: float
    errors: int


def feed_size(base_url) -> int:
    return fetch(base_url + "/calendar.ics")[2].count(b"BEGIN:VEVENT")


def sequential(url, times=3) -> Measured:
    """One request at a time, for answers too slow for wrk's window: the best of
    ``times``, as requests per second."""
    best = None
    errors = 0
    for _ in range(times):
        started = time.perf_counter()
        status, _, _ = fetch(url)
        took = time.perf_counter() - started
        errors += status >= 400
        best = took if best is None else min(best, took)
    return Measured(1 / best, errors)


def ensure_wrk() -> str | None:
    """Find wrk, installing Debian's package when running as root; None without."""
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing wrk from Debian's packages...", flush=True)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        installed = subprocess.run(
            ["apt-get", "install", "-y", "wrk"], env=env, check=False, **quiet
        )
        if installed.returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, check=False, **quiet)
            subprocess.run(
                ["apt-get", "install", "-y", "wrk"], env=env, check=False, **quiet
            )
    return shutil.which("wrk")


def drive(wrk, base_url, load: Load, duration: int, workdir: Path) -> Measured:
    """The best of :data:`ROUNDS` runs of ``load``, with the errors of all of them.

    The load generator's connections stay with the worker that accepted them, and
    which worker that is falls out differently each time: a run whose connections
    all landed on one worker measures one core instead of two. Each round opens
    new connections, and the best round is the one where they were shared out.
    """
    rounds = [
        _drive_once(wrk, base_url, load, duration, workdir) for _ in range(ROUNDS)
    ]
    return Measured(
        max(measured.requests_per_second for measured in rounds),
        sum(measured.errors for measured in rounds),
    )


def _drive_once(wrk, base_url, load: Load, duration: int, workdir: Path) -> Measured:
    if wrk is None:
        return drive_in_python(base_url, load, duration)

    command = [
        wrk,
        f"--threads={THREADS}",
        f"--connections={CONNECTIONS}",
        f"--duration={duration}s",
        "--timeout=60s",
    ]
    for name, value in load.headers.items():
        command += ["--header", f"{name}: {value}"]
    if load.lua:
        script = workdir / f"{uuid.uuid4().hex}.lua"
        script.write_text(load.lua)
        command += ["--script", str(script)]
    command.append(base_url + load.path)

    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = 0
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(found.group(1))
    if found := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in found.groups())
    return Measured(rate, errors)


def drive_in_python(base_url, load: Load, duration: int) -> Measured:
    """A plain load generator: kept-alive connections sending for ``duration``."""
    host, port = base_url.split("//")[1].split(":")
    stop_at = time.monotonic() + duration
    counts = [0] * CONNECTIONS
    errors = [0] * CONNECTIONS
    serial = iter(range(10**9))

    def run(slot):
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        while time.monotonic() < stop_at:
            body = load.body(next(serial)) if callable(load.body) else load.body
            try:
                connection.request(
                    load.method, load.path, body=body, headers=load.headers
                )
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                errors[slot] += 1
                connection.close()
                connection = http.client.HTTPConnection(host, int(port), timeout=60)
                continue
            counts[slot] += 1
            if response.status >= 400:
                errors[slot] += 1

    threads = [threading.Thread(target=run, args=(n,)) for n in range(CONNECTIONS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Measured(sum(counts) / (time.monotonic() - started), sum(errors))


SIGN_UP_LUA = """
local counter = 0
local id = 0
local number = 0
-- Each round of the same script must send addresses of its own.
local started = os.time()

function setup(thread)
  number = number + 1
  thread:set("id", number)
end

request = function()
  counter = counter + 1
  local body = "csrf_token=%(token)s&name=Bench+Person&sector=&language=en"
    .. "&accessibility=&consent=y&email=bench-%(run)s-" .. started .. "-" .. id
    .. "-" .. counter
    .. "%%40example.org"
  return wrk.format("POST", "%(path)s", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "%(cookie)s",
  }, body)
end
"""


def sign_up_load(base_url, slug) -> Load:
    """The sign-up form sent again and again, each time with a new address.

    One form is opened first: its session cookie and CSRF token then serve every
    request, as a token stays valid for its session.
    """
    path = f"/events/{slug}/register"
    status, headers, body = fetch(base_url + path)
    if status != 200:
        raise SystemExit(f"the sign-up form answered {status}")
    token = CSRF_INPUT.search(body.decode()).group(1)
    cookie = headers["Set-Cookie"].split(";")[0]
    run = uuid.uuid4().hex[:8]
    fields = {
        "csrf_token": token,
        "name": "Bench Person",
        "sector": "",
        "language": "en",
        "accessibility": "",
        "consent": "y",
    }

    def body_for(n):
        values = {**fields, "email": f"bench-{run}-py-{time.time_ns()}-{n}@example.org"}
        return "&".join(f"{k}={quote(v)}" for k, v in values.items())

    lua = SIGN_UP_LUA % {
        "token": quote(token),
        "run": run,
        "path": path,
        "cookie": cookie,
    }
    return Load(
        "sign-up POST",
        path,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
        },
        lua=lua,
        method="POST",
        body=body_for,
    )


# --- Databases ------------------------------------------------------------------


def sqlite_database(workdir: Path):
    path = workdir / "bench.sqlite"
    return f"sqlite:///{path}", lambda: None


def postgres_database():
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = make_url(os.environ.get("TFC_BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    name = f"tfc_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = admin_url.set(database=name).render_as_string(hide_password=False)
    return url, drop


def analyze(database_uri):
    """Gather PostgreSQL's planner statistics now, as autovacuum would within minutes
    of a bulk load; otherwise the first routes are measured with plans made blind."""
    from sqlalchemy import create_engine

    engine = create_engine(database_uri, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()


def product_env(database_uri, workdir: Path) -> dict:
    return {
        **os.environ,
        "TFC_SQLALCHEMY_DATABASE_URI": database_uri,
        "TFC_SECRET_KEY": secrets.token_hex(32),
        "TFC_SITE_HOST": "bench.localhost",
        "TFC_MAIL_FOLDER": str(workdir / "mail"),
        # Every request of the benchmark comes from one address.
        "TFC_RATELIMIT_ENABLED": "false",
        # The shared data version, as production keeps it; a prefix of this run's
        # own keeps it apart from anything else in that Redis.
        "TFC_REDIS_URL": os.environ.get("TFC_BENCH_REDIS_URL", DEFAULT_REDIS),
        "TFC_REDIS_KEY_PREFIX": f"tfc-bench-{secrets.token_hex(8)}",
    }


def forget_redis_keys(env) -> None:
    """Remove the run's keys from Redis."""
    if not env["TFC_REDIS_URL"]:
        return
    import redis

    client = redis.Redis.from_url(env["TFC_REDIS_URL"], socket_connect_timeout=2)
    try:
        for key in client.scan_iter(match=f"{env['TFC_REDIS_KEY_PREFIX']}:*"):
            client.delete(key)
    except redis.RedisError as error:
        print(f"could not remove the run's Redis keys ({error})", flush=True)
    finally:
        client.close()


# --- In-process feed timing -----------------------------------------------------


def time_feed_build(env) -> tuple[float, float, int]:
    """Best of three: the product building the full feed (query included), and
    icalendar alone serialising the very same events; and the number of events."""
    import icalendar

    from tfc_training import create_app
    from tfc_training.calendar.feeds import build_calendar, site_calendar_name
    from tfc_training.events.queries import (
        EventFilter,
        published_events,
        with_calendar_details,
    )
    from tfc_training.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": env["TFC_SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": env["TFC_SECRET_KEY"],
            "SITE_HOST": env["TFC_SITE_HOST"],
        }
    )
    product = []
    with app.test_request_context("/calendar.ics"):
        for _ in range(3):
            db.session.remove()
            started = time.perf_counter()
            # Every event, past ones too, so that the builder is timed on all
            # 5,000 whatever dates the dataset gave them.
            events = db.session.scalars(with_calendar_details(published_events())).all()
            body = build_calendar(events, site_calendar_name(EventFilter()))
            product.append(time.perf_counter() - started)
        db.engine.dispose()

    parsed = icalendar.Calendar.from_ical(body)
    components = [
        (component.name, [(name, value) for name, value in component.property_items()])
        for component in parsed.walk()
        if component.name in ("VEVENT", "VTIMEZONE")
    ]
    count = sum(1 for name, _ in components if name == "VEVENT")
    alone = []
    for _ in range(3):
        started = time.perf_counter()
        calendar = icalendar.Calendar()
        for name, value in parsed.property_items(recursive=False):
            if name not in ("BEGIN", "END"):
                calendar.add(name, value)
        for name, properties in components:
            component = icalendar.Event() if name == "VEVENT" else icalendar.Timezone()
            for key, value in properties:
                if key not in ("BEGIN", "END"):
                    component.add(key, value)
            calendar.add_component(component)
        calendar.to_ical()
        alone.append(time.perf_counter() - started)
    return min(product), min(alone), count


def time_sign_up(env, slug, count=50) -> tuple[float, float]:
    """CPU seconds per sign-up in-process, and how much of it sending the e-mail
    took, for sign-ups sent through the form one after another (best of three)."""
    from tfc_training import create_app
    from tfc_training.extensions import db
    from tfc_training.mail import services

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": env["TFC_SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": env["TFC_SECRET_KEY"],
            "SITE_HOST": env["TFC_SITE_HOST"],
            "MAIL_FOLDER": env["TFC_MAIL_FOLDER"],
            "RATELIMIT_ENABLED": False,
            # Sent within the request, so that its cost is counted here.
            "MAIL_SEND_IN_BACKGROUND": False,
        }
    )
    mailing = [0.0]
    deliver = services.deliver

    def timed_deliver(ids):
        started = time.process_time()
        try:
            return deliver(ids)
        finally:
            mailing[0] += time.process_time() - started

    services.deliver = timed_deliver
    client = app.test_client()
    path = f"/events/{slug}/register"
    token = CSRF_INPUT.search(client.get(path).get_data(as_text=True)).group(1)
    rounds = []
    try:
        for round_ in range(3):
            mailing[0] = 0.0
            started = time.process_time()
            for n in range(count):
                response = client.post(
                    path,
                    data={
                        "csrf_token": token,
                        "name": "Bench Person",
                        "email": f"inprocess-{time.time_ns()}-{round_}-{n}@example.org",
                        "sector": "",
                        "language": "en",
                        "accessibility": "",
                        "consent": "y",
                    },
                )
                if response.status_code != 200:
                    raise SystemExit(
                        f"in-process sign-up answered {response.status_code}"
                    )
            rounds.append(((time.process_time() - started) / count, mailing[0] / count))
    finally:
        services.deliver = deliver
        with app.app_context():
            db.engine.dispose()
    return min(rounds)


def pick_event(env):
    """Slugs of an event for the pages, one that takes sign-ups without a limit, and
    a community; the sign-up event is given unlimited places for the run."""
    from sqlalchemy import select

    from tfc_training import create_app
    from tfc_training.communities.models import Community
    from tfc_training.events.models import Event
    from tfc_training.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": env["TFC_SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": env["TFC_SECRET_KEY"],
        }
    )
    now = datetime.now(UTC)
    with app.app_context():
        coming = db.session.scalars(
            select(Event)
            .where(
                Event.status == "published", Event.starts_at > now + timedelta(days=2)
            )
            .where(Event.requires_approval.is_(False))
            .order_by(Event.starts_at)
        )
        open_events = [e for e in coming if e.registration_state(now) == "open"]
        page, sign_up = open_events[0], open_events[1]
        sign_up.capacity = None
        community = db.session.scalar(select(Community).order_by(Community.id))
        slugs = page.slug, sign_up.slug, community.slug
        db.session.commit()
        db.engine.dispose()
    return slugs


def report_route_exists(env) -> bool:
    from tfc_training import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": env["TFC_SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": env["TFC_SECRET_KEY"],
        }
    )
    return any(rule.rule.startswith("/reports") for rule in app.url_map.iter_rules())


# --- The run --------------------------------------------------------------------


def bench_backend(backend, wrk, duration, workdir: Path):
    print(f"\n## {backend}\n", flush=True)
    if backend == "sqlite":
        uri, drop = sqlite_database(workdir)
    else:
        uri, drop = postgres_database()
    env = product_env(uri, workdir)
    flask = str(BIN / "flask")
    try:
        subprocess.run(
            [flask, "--app", "wsgi", "db", "upgrade"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        started = time.perf_counter()
        generator = dataset.generate(flask, env, ROOT, now=datetime.now(UTC))
        print(
            f"dataset: {dataset.COMMUNITIES} communities, {dataset.EVENTS} events,"
            f" {dataset.REGISTRATIONS} registrations by {generator}"
            f" in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        if backend == "postgresql":
            analyze(uri)
        page_slug, sign_up_slug, community_slug = pick_event(env)

        bare = Server("bare_app:app", env, Path(__file__).resolve().parent)
        try:
            bare.wait_idle()
            baseline = drive(wrk, bare.url, Load("bare", "/"), duration, workdir)
        finally:
            bare.stop()
        print(f"bare Flask app: {baseline.requests_per_second:.0f} req/s\n", flush=True)

        server = Server("wsgi:app", env, ROOT)
        try:
            rows = measure_routes(
                server,
                wrk,
                duration,
                workdir,
                env,
                page_slug,
                sign_up_slug,
                community_slug,
            )
            rss = server.worker_rss_mib()
        finally:
            server.stop()

        print_table(rows, baseline.requests_per_second)
        print(
            "\nworker RSS after the run: "
            + ", ".join(f"{size:.0f} MiB" for size in rss),
            flush=True,
        )

        product, alone, count = time_feed_build(env)
        ratio = product / alone
        verdict = "met" if ratio <= FEED_BUILD_TARGET else "NOT met"
        print(
            f"full feed of {count} events: product {product * 1000:.0f} ms (query"
            f" included), icalendar alone {alone * 1000:.0f} ms, ratio {ratio:.2f}"
            f" (target <= {FEED_BUILD_TARGET}: {verdict})",
            flush=True,
        )
        cpu, mailing = time_sign_up(env, sign_up_slug)
        budget = (os.cpu_count() or 1) / (
            TARGETS["sign-up POST"] * baseline.requests_per_second
        )
        print(
            f"sign-up in-process, one at a time: {cpu * 1000:.1f} ms of CPU each, of"
            f" which {mailing * 1000:.1f} ms sending its e-mail; the target of"
            f" {TARGETS['sign-up POST']} leaves {budget * 1000:.2f} ms on"
            f" {os.cpu_count()} cores",
            flush=True,
        )
    finally:
        drop()
        forget_redis_keys(env)


def measure_routes(
    server, wrk, duration, workdir, env, page_slug, sign_up_slug, community_slug
):
    loads = [
        Load("home", "/"),
        Load("events list", "/events/"),
        Load("event page", f"/events/{page_slug}/"),
    ]
    rows = []
    server.wait_idle()
    # The first request builds the feed; later ones get the bytes kept under its
    # ETag, as every calendar app fetching the whole feed does.
    fresh = sequential(server.url + "/calendar.ics", times=1)
    rows.append(("feed first request, built (one)", fresh))
    print(
        f"  feed first request: {fresh.requests_per_second:.2f} req/s, built,"
        f" {feed_size(server.url)} events",
        flush=True,
    )
    loads.append(Load("feed 200, kept bytes", "/calendar.ics"))
    status, headers, _ = fetch(server.url + "/calendar.ics")
    etag = headers.get("ETag")
    if status == 200 and etag:
        loads.append(Load("feed 304", "/calendar.ics", headers={"If-None-Match": etag}))
    loads.append(Load("community feed", f"/communities/{community_slug}/calendar.ics"))
    loads.append(sign_up_load(server.url, sign_up_slug))

    def measure(load):
        server.wait_idle()
        measured = drive(wrk, server.url, load, duration, workdir)
        rows.append((load.name, measured))
        print(
            f"  {load.name}: {measured.requests_per_second:.1f} req/s,"
            f" {measured.errors} errors",
            flush=True,
        )

    for load in loads:
        measure(load)
    if not etag:
        rows.append(("feed 304", "skipped: the feed sends no ETag"))
    if report_route_exists(env):
        measure(report_load(server.url, env))
    else:
        rows.append(("report page", "skipped: the product has no /reports/ yet"))
    return rows


def report_load(base_url, env) -> Load:
    """The indicators report, as a member of staff logged in sees it.

    An admin account is made for the run and logged in through the form; its
    session cookie then serves every request. The log-in binds the session to
    the browser, so every request says it comes from the same one.
    """
    email, password = "bench-admin@example.org", secrets.token_urlsafe(16)
    subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "users", "create-admin", email],
        cwd=ROOT,
        env={**env, "TFC_ADMIN_PASSWORD": password},
        stdin=subprocess.DEVNULL,
        check=True,
        capture_output=True,
    )
    browser = {"User-Agent": BENCH_AGENT}
    status, headers, body = fetch(base_url + "/login", headers=browser)
    if status != 200:
        raise SystemExit(f"the log-in form answered {status}")
    token = CSRF_INPUT.search(body.decode()).group(1)
    form = f"csrf_token={quote(token)}&email={quote(email)}&password={quote(password)}"
    status, headers, _ = fetch(
        base_url + "/login",
        method="POST",
        body=form,
        headers={
            **browser,
            "Cookie": headers["Set-Cookie"].split(";")[0],
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    if status not in (302, 303):
        raise SystemExit(f"logging in answered {status}")
    cookie = headers["Set-Cookie"].split(";")[0]
    return Load("report page", "/reports/", headers={**browser, "Cookie": cookie})


def print_table(rows, baseline):
    print("\n| route | req/s | ratio to bare | target | errors |")
    print("|---|---:|---:|---|---:|")
    for name, measured in rows:
        if isinstance(measured, str):
            print(f"| {name} | | | {measured} | |")
            continue
        ratio = measured.requests_per_second / baseline
        target = TARGETS.get(name)
        if target is None:
            verdict = "-"
        else:
            verdict = f">= {target}: {'met' if ratio >= target else 'NOT met'}"
        print(
            f"| {name} | {measured.requests_per_second:.2f} | {ratio:.4f} | {verdict}"
            f" | {measured.errors} |"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per route")
    parser.add_argument("--backends", default="sqlite,postgresql")
    arguments = parser.parse_args()

    wrk = ensure_wrk()
    print(f"load generator: {wrk or 'Python (wrk not found)'}")
    print(f"gunicorn {' '.join(GUNICORN_SETTINGS)}; {CONNECTIONS} connections")
    with tempfile.TemporaryDirectory(prefix="tfc-bench-") as workdir:
        for backend in arguments.backends.split(","):
            bench_backend(backend, wrk, arguments.duration, Path(workdir))


if __name__ == "__main__":
    main()
