"""The organiser's tools, the public sign-up and a learner's pages, tried in a real
headless Chromium.

Chromium comes from the system's packages (``make browser``), never from a download.
Without it the tests are skipped on a developer's machine, but fail in CI, where the
browser must be there.
"""

import csv
import io
import os
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from learning_support import add_module, right_choices, sync_shipped_curriculum

from tfc_training.extensions import db
from tfc_training.learning import services as learning_services
from tfc_training.learning.models import QuizAttempt
from tfc_training.registration.models import Registration

CHROMIUM = Path("/usr/bin/chromium")

#: Switches that keep Chromium quiet and offline apart from the site under test.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: A common phone screen, in CSS pixels.
PHONE = {"width": 390, "height": 844}

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole run."""
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "Playwright is not installed (pip install -e '.[test]')"
    else:
        if not CHROMIUM.exists():
            missing = f"{CHROMIUM} is missing (make browser)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests must run in CI: {missing}")
        pytest.skip(missing)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium):
    """A fresh page with its own cookies, which accepts downloads."""
    context = chromium.new_context(accept_downloads=True, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def database_uri(sqlite_template, tmp_path):
    """SQLite only: the browser's journey is the same on every database."""
    path = tmp_path / "tfc.sqlite"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app_config(tmp_path):
    """Forms carry real CSRF tokens, as in production; e-mail goes to files."""
    return {"WTF_CSRF_ENABLED": True, "MAIL_FOLDER": str(tmp_path / "mail")}


def test_public_sign_up(browser_page, live_server, make_community, make_event, now):
    """Find an event on the events page, sign up and read the answer."""
    community = make_community(name="Eastside TFC")
    make_event(slug="other", title="Bus-bench campaign", community=community)
    make_event(
        slug="awareness",
        title="Awareness evening",
        community=community,
        starts_at=now + timedelta(days=3),
        capacity=20,
    )
    page = browser_page

    page.goto(f"{live_server}/events/")
    page.get_by_role("link", name="Awareness evening").click()
    page.get_by_role("link", name="Sign up for this event").click()
    page.get_by_label("Your name").fill("Marisol")
    page.get_by_label("E-mail").fill("marisol@example.org")
    page.get_by_label("I have read the").check()
    page.get_by_role("button", name="Sign up").click()

    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Thank you for signing up for Awareness evening"
    assert "You have a place at this event." in page.inner_text("main")
    assert "marisol@example.org" not in page.content()
    registration = db.session.scalar(db.select(Registration))
    assert (registration.name, registration.status) == ("Marisol", "confirmed")


#: People with a place at the organiser's event, as the registrant list shows them.
ATTENDEES = [
    ("Amara Lindqvist", "amara@example.org", "schools"),
    ("Bongani Ruiz", "bongani@example.org", "faith-ngo"),
    ("Chen Wei", "chen@example.org", None),
]


@pytest.fixture
def event_today(make_community, make_event, make_user, now):
    """An event under way, with three people who have a place, and its organiser."""
    community = make_community(name="Harbor TFC")
    event = make_event(
        slug="listening-group",
        title="Police and youth listening group",
        community=community,
        starts_at=now - timedelta(minutes=10),
        ends_at=now + timedelta(hours=2),
        capacity=30,
    )
    for name, email, sector in ATTENDEES:
        db.session.add(
            Registration(
                event=event,
                name=name,
                email=email,
                sector_slug=sector,
                language="en",
                status="confirmed",
                consented_at=now - timedelta(days=2),
                created_at=now - timedelta(days=2),
            )
        )
    db.session.commit()
    organiser = make_user(
        email="organiser@example.org", password=PASSWORD, organises=[community]
    )
    return event, organiser


def checked_in_count(page) -> str:
    """The "checked in" figure at the top of the check-in page."""
    counts = page.locator(".checkin-counts")
    return counts.locator("span", has_text="checked in").locator(".count").inner_text()


def check_in(page, name):
    """Press the check-in button on the person's line and wait for the new page."""
    line = page.locator(".checkin-list li", has_text=name)
    with page.expect_navigation():
        line.get_by_role("button", name=f"Check in {name}", exact=True).click()
    assert "Checked in" in line.locator(".checked-in-at").inner_text()
    assert line.get_by_role("button", name=f"Undo check-in of {name}").is_visible()


def test_organiser_checks_people_in_and_exports(
    browser_page, live_server, event_today, tmp_path
):
    """Log in, open the event, check two people in and download the registrants."""
    event, organiser = event_today
    page = browser_page

    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(organiser.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/organise/")

    row = page.locator("tr", has_text=event.title)
    row.get_by_role("link", name="Registrants").click()
    page.wait_for_url(f"{live_server}/organise/events/{event.slug}/registrants")
    table = page.locator("table.registrants")
    for name, email, _sector in ATTENDEES:
        assert name in table.inner_text()
        assert email in table.inner_text()

    page.get_by_role("navigation", name="Event tools").get_by_role(
        "link", name="Check-in"
    ).click()
    page.set_viewport_size(PHONE)
    assert checked_in_count(page) == "0"
    check_in(page, "Amara Lindqvist")
    assert checked_in_count(page) == "1"
    check_in(page, "Chen Wei")
    assert checked_in_count(page) == "2"
    screenshot = tmp_path / "check-in-on-a-phone.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 0
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the check-in page scrolls sideways on a phone"

    page.get_by_role("navigation", name="Event tools").get_by_role(
        "link", name="Registrants"
    ).click()
    page.wait_for_url(f"{live_server}/organise/events/{event.slug}/registrants")
    assert sideways_overflow(page) == 0, "the registrant list scrolls sideways"
    cancel = page.locator("tr", has_text="Chen Wei").get_by_role(
        "link", name="Cancel this sign-up"
    )
    box = cancel.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"]
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as CSV").click()
    download = download_info.value
    # Excel needs the byte-order mark to read the file as UTF-8.
    text = Path(download.path()).read_text("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))

    assert download.suggested_filename == f"{event.slug}-registrants.csv"
    assert sorted(row["Name"] for row in rows) == [name for name, *_ in ATTENDEES]
    attended = {row["Name"]: bool(row["Checked in"]) for row in rows}
    assert attended == {
        "Amara Lindqvist": True,
        "Bongani Ruiz": False,
        "Chen Wei": True,
    }
    assert {row["Status"] for row in rows} == {"confirmed"}


# --- A learner's pages ---------------------------------------------------------------


@pytest.fixture
def phone_without_javascript(chromium):
    """A phone-sized page with JavaScript switched off."""
    context = chromium.new_context(
        viewport=PHONE, java_script_enabled=False, locale="en-US"
    )
    yield context.new_page()
    context.close()


def log_in(page, base_url, user):
    """Log ``user`` in through the login form."""
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def sideways_overflow(page) -> int:
    """How far the page is wider than the screen, in CSS pixels."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_a_lesson_and_a_quiz_on_a_phone_without_javascript(
    phone_without_javascript, live_server, make_user, now
):
    """The pages fit the screen, and buttons and answers work with plain HTML."""
    first = sync_shipped_curriculum(now)[0]
    learner = make_user(name="Marisol Reyes", password=PASSWORD)
    page = phone_without_javascript
    log_in(page, live_server, learner)

    page.goto(f"{live_server}/learn/")
    assert sideways_overflow(page) == 0
    page.locator(".next-step").get_by_role("link").click()
    lesson_title = page.get_by_role("heading", level=1).inner_text()
    assert sideways_overflow(page) == 0
    page.get_by_role("button", name="Mark as done and continue").click()
    page.wait_for_load_state()
    assert f"“{lesson_title}” is marked as done." in page.inner_text("main")

    page.goto(f"{live_server}/learn/{first.key}/quiz")
    assert sideways_overflow(page) == 0
    for question in page.locator("fieldset.question").all():
        question.locator("label.answer").first.click()
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_load_state()
    assert "Quiz result" in page.get_by_role("heading", level=1).inner_text()
    assert sideways_overflow(page) == 0
    # End this session's read transaction, whose snapshot predates the requests.
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(QuizAttempt)) == 1


def pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """The width and height of each page of a PDF, in points."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    return [(float(width), float(height)) for width, height in boxes]


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_the_certificate_prints_on_one_landscape_page(
    browser_page, live_server, make_user, now, paper
):
    learner = make_user(
        name="María Guadalupe Hernández-Villaseñor de la Cruz", password=PASSWORD
    )
    for position in range(1, 9):
        module = add_module(f"module-{position}", position=position)
        for lesson in module.lessons:
            learning_services.complete_lesson(learner, lesson, now=now)
        learning_services.submit_quiz(learner, module, right_choices(module), now=now)
        db.session.commit()
    page = browser_page
    log_in(page, live_server, learner)

    page.goto(f"{live_server}/learn/certificate")
    pdf = page.pdf(format=paper, prefer_css_page_size=True, print_background=True)

    sizes = pdf_pages(pdf)
    assert len(sizes) == 1
    width, height = sizes[0]
    assert width > height


def chart_numbers(page, chart_key) -> tuple[dict, dict]:
    """What one chart draws and what its table says: {(category, series): value}."""
    bars = page.eval_on_selector_all(
        f'svg[data-chart="{chart_key}"] rect.bar',
        """bars => bars.map(bar => [bar.dataset.category, bar.dataset.series,
                                   bar.dataset.value, bar.getAttribute('width')])""",
    )
    table = page.eval_on_selector(
        f'table[data-chart="{chart_key}"]',
        """table => {
             const series = [...table.tHead.rows[0].cells].slice(1).map(c => c.innerText);
             return [...table.tBodies[0].rows].flatMap(row => [...row.cells].slice(1)
               .map((cell, i) => [row.cells[0].innerText, series[i], cell.innerText]));
           }""",
    )
    drawn = {(category, series): value for category, series, value, _w in bars}
    shown = {(category, series): value for category, series, value in table}
    return drawn, shown


#: The charts of the report, in page order.
REPORT_CHARTS = [
    "events-by-type",
    "attendance-by-sector",
    "training-by-community",
    "meetings-by-community",
]


def check_report_charts(page) -> None:
    """Every bar of every chart has the number its table shows, the largest number
    the longest bar, and every chart a text alternative."""
    charts = page.eval_on_selector_all(
        "svg.bar-chart", "charts => charts.map(chart => chart.dataset.chart)"
    )
    assert charts == REPORT_CHARTS

    for key in charts:
        drawn, shown = chart_numbers(page, key)
        assert drawn == shown and drawn, key

        svg = page.locator(f'svg[data-chart="{key}"]')
        assert svg.get_attribute("role") == "img"
        assert svg.locator("title").first.text_content().strip()
        assert svg.locator("desc").text_content().strip()

        bars = page.eval_on_selector_all(
            f'svg[data-chart="{key}"] rect.bar',
            """bars => bars.map(bar => [Number(bar.dataset.value),
                                       Number(bar.getAttribute('width'))])""",
        )
        largest = max(value for value, _width in bars)
        for value, width in bars:
            assert (width == max(w for _v, w in bars)) == (value == largest), key


def test_report_on_generated_data(browser_page, live_server, runner, make_user):
    """A year made by ``demo generate``: the charts hold their tables' numbers."""
    result = runner.invoke(
        args=[
            "demo",
            "generate",
            "--communities",
            "3",
            "--events",
            "80",
            "--registrations",
            "1200",
            "--seed",
            "3",
            "--today",
            "2026-11-30",
        ]
    )
    assert result.exit_code == 0, result.output
    admin = make_user(is_admin=True)
    page = browser_page

    log_in(page, live_server, admin)
    page.goto(f"{live_server}/reports/?period=2026-H1")

    assert page.get_by_role("heading", level=1).inner_text() == "Indicators report"
    check_report_charts(page)
    drawn, _shown = chart_numbers(page, "attendance-by-sector")
    assert sum(int(value) for value in drawn.values()) > 0


def test_report_charts_hold_the_numbers_of_their_tables(
    browser_page, live_server, make_user
):
    """On the known dataset, with numbers checked one by one; and on a phone."""
    from report_support import build_known_year

    build_known_year()
    admin = make_user(is_admin=True)
    page = browser_page

    log_in(page, live_server, admin)
    page.goto(f"{live_server}/reports/?period=2026-H1")

    check_report_charts(page)
    drawn, _shown = chart_numbers(page, "meetings-by-community")
    assert drawn[("Alpha TFC", "This period")] == "2"
    assert drawn[("Beta TFC", "Previous period")] == "1"

    # On a phone the charts shrink to the screen and nothing runs off its side.
    page.set_viewport_size(PHONE)
    assert sideways_overflow(page) == 0


# --- The Content-Security-Policy, as Chromium applies it ------------------------------

#: Records each violation the browser reports, before any of the page's own code.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""

#: Pages anyone can open, then the organiser's; ``{event}`` and ``{coming}`` are
#: slugs of the fixture's events.
PUBLIC_PAGES = [
    "/",
    "/events/",
    "/events/{coming}/",
    "/events/{coming}/register",
    "/communities/",
    "/calendar/",
    "/privacy",
    "/login",
    "/password/forgot",
]
ORGANISER_PAGES = [
    "/organise/",
    "/organise/events/new",
    "/organise/events/{event}/edit",
    "/organise/events/{event}/registrants",
    "/organise/events/{event}/check-in",
    "/organise/events/{event}/audit",
    "/organise/import",
    "/account/",
]


def csp_problems(page, url) -> list[str]:
    """Open ``url`` and return every violation and console complaint about policy."""
    console = []
    page.on("console", lambda message: console.append(message))
    response = page.goto(url)
    page.wait_for_load_state("load")

    assert response.status == 200, url
    assert "script-src 'self'" in response.headers["content-security-policy"]
    violations = page.evaluate("window.__cspViolations")
    complaints = [
        message.text
        for message in console
        if message.type in ("error", "warning")
        and ("Content Security Policy" in message.text or "Refused" in message.text)
    ]
    return violations + complaints


def test_pages_break_no_rule_of_the_security_policy(
    chromium, live_server, event_today, make_event
):
    """The main pages load in Chromium without a single policy violation."""
    event, organiser = event_today
    coming = make_event(slug="coming-up", title="Coming up")
    context = chromium.new_context(locale="en-US")
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()

    found = {}
    for path in PUBLIC_PAGES:
        url = live_server + path.format(event=event.slug, coming=coming.slug)
        found[path] = csp_problems(page, url)
    log_in(page, live_server, organiser)
    for path in ORGANISER_PAGES:
        url = live_server + path.format(event=event.slug, coming=coming.slug)
        found[path] = csp_problems(page, url)
    context.close()

    assert {path: problems for path, problems in found.items() if problems} == {}
