"""Who may open what: every route of the site, as each kind of person.

The table below names, for every route and method, the status each role gets:
anonymous, a learner (an account with no role), an organiser of another community,
an organiser of the event's community, and an admin. A route missing from the table
fails the suite, so that no new page escapes the check. Each answer is also read
for registrants' names and e-mail addresses, which may appear only where the table
allows them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import url_for
from learning_support import add_module
from werkzeug.security import generate_password_hash

from tfc_training.accounts.forms import community_field_name
from tfc_training.accounts.models import Membership, User
from tfc_training.calendar.personal import registration_feed_token, reset_feed_token
from tfc_training.communities.models import Sector
from tfc_training.events.models import Event
from tfc_training.extensions import db
from tfc_training.indicators.models import Milestone, OutsideMeeting, SurveyResponse
from tfc_training.indicators.survey import event_token, personal_token
from tfc_training.learning.models import Certificate, QuizAttempt
from tfc_training.registration.models import ManageToken, Registration
from tfc_training.registration.tokens import hash_token

ROLES = ("anonymous", "learner", "other-organiser", "organiser", "admin")

#: Who signed up for the organiser's event. Their names and addresses are the
#: personal data that the walk looks for in every answer.
REGISTRANTS = {
    "confirmed": ("Zephyrine Quillfeather", "zephyrine.q@registrants.test"),
    "second": ("Bartholomew Okonkwo", "bart.okonkwo@registrants.test"),
    "pending": ("Philippa Waitwell", "philippa.w@registrants.test"),
    "waitlisted": ("Wendell Queueford", "wendell.q@registrants.test"),
}

#: The test password, hashed with few rounds: the walk logs in hundreds of times,
#: and the strength of the hash is not what it tests.
QUICK_HASH = generate_password_hash("correct horse battery", method="pbkdf2:sha256:1")

#: The objects of the ``site`` fixture, by name.
Site = dict


@dataclass(frozen=True)
class Route:
    """What each role gets from one route and method.

    ``statuses`` is one status for everybody or one per role, in the order of
    :data:`ROLES`; ``values`` builds the URL's arguments from the site; ``data`` is
    the form posted; ``shows_registrants`` names the roles whose answer may hold the
    registrants' names and addresses, and must unless ``must_show`` is false.
    """

    statuses: int | tuple[int, ...]
    values: Callable[[Site], dict] = lambda site: {}
    data: Callable[[Site], dict] = lambda site: {}
    shows_registrants: tuple[str, ...] = ()
    must_show: bool = True

    def status_for(self, role: str) -> int:
        if isinstance(self.statuses, int):
            return self.statuses
        return self.statuses[ROLES.index(role)]


def staff_only(ok: int) -> tuple[int, ...]:
    """Admins only: anonymous people go to the login page, everyone else is refused."""
    return (302, 403, 403, 403, ok)


def signed_in(ok: int) -> tuple[int, ...]:
    """Any account; anonymous people go to the login page."""
    return (302, ok, ok, ok, ok)


def organisers(ok: int) -> tuple[int, ...]:
    """Organisers of any community and admins."""
    return (302, 403, ok, ok, ok)


def managers(ok: int) -> tuple[int, ...]:
    """Those who manage the event: others are refused, as the event is public."""
    return (302, 403, 403, ok, ok)


def draft_managers(ok: int) -> tuple[int, ...]:
    """Those who manage a draft: to others it does not exist."""
    return (302, 404, 404, ok, ok)


#: The roles that see an event's registrants.
MANAGERS = ("organiser", "admin")


def event(site):
    """The organiser's published event, which has the registrants."""
    return {"slug": site["event"].slug}


def community(site):
    """The organiser's community."""
    return {"slug": site["home"].slug}


def draft(site):
    """A draft of the organiser's community."""
    return {"slug": site["draft"].slug}


def registrant(key):
    """The organiser's event and one of its registrations."""

    def values(site):
        return {
            "slug": site["event"].slug,
            "registration_id": site["registrations"][key].id,
        }

    values.registration_key = key
    return values


def invitee(site):
    """An account whose invitation has not been accepted yet."""
    return {"user_id": site["invitee"].id}


def make_organiser(site):
    """The roles form, making the invited person an organiser of the home community."""
    return {
        community_field_name(site["home"].id): "organiser",
        community_field_name(site["away"].id): "",
    }


def training_module(site):
    """The module of the site's small curriculum."""
    return {"module_key": site["module"].key}


def training_lesson(site):
    """The lesson of that module."""
    return {"module_key": site["module"].key, "lesson_key": "access-module-lesson-1"}


def learners_attempt(site):
    """The learner's own quiz attempt, which only the learner may read."""
    return {"module_key": site["module"].key, "attempt_id": site["attempt"].id}


def certificate_code(site):
    """The learner's certificate."""
    return {"code": site["certificate"].code}


def milestone(site):
    """A milestone recorded for the organiser's community."""
    return {"slug": site["home"].slug, "milestone_id": site["milestone"].id}


def outside_meeting(site):
    """A meeting held elsewhere, recorded for the organiser's community."""
    return {"slug": site["home"].slug, "meeting_id": site["meeting"].id}


def personal_survey(site):
    """The survey link e-mailed to someone who attended the finished awareness event."""
    return {"token": personal_token(site["respondent"])}


def door_survey(site):
    """The shared survey link of the finished awareness event, behind its QR code."""
    return {"token": event_token(site["finished-event"])}


SURVEY_ANSWERS = {"knows_hotline": "yes", "can_name_sign": "unsure"}

SIGN_UP = {
    "name": "Walk Through",
    "email": "walk.through@example.org",
    "language": "en",
    "consent": "y",
}

#: Every route, by endpoint and method.
EXPECTED: dict[tuple[str, str], Route] = {
    # Public pages and feeds: the same for everybody.
    ("site.home", "GET"): Route(200),
    ("site.privacy", "GET"): Route(200),
    ("site.subscribe", "GET"): Route(200),
    ("events.index", "GET"): Route(200),
    ("events.detail", "GET"): Route(200, event),
    ("communities.index", "GET"): Route(200),
    ("communities.detail", "GET"): Route(200, community),
    ("calendar.site_feed", "GET"): Route(200),
    ("calendar.community_feed", "GET"): Route(200, community),
    ("calendar.event_feed", "GET"): Route(200, event),
    ("calendar.account_feed", "GET"): Route(
        200, lambda site: {"token": site["learner-feed"]}
    ),
    ("calendar.registration_feed", "GET"): Route(
        200, lambda site: {"token": registration_feed_token(site["manage-token"])}
    ),
    ("registration.register", "GET"): Route(200, event),
    ("registration.register", "POST"): Route(200, event, lambda site: SIGN_UP),
    ("registration.manage", "GET"): Route(
        200, lambda site: {"token": site["manage-token"]}
    ),
    ("registration.cancel", "POST"): Route(
        303, lambda site: {"token": site["manage-token"]}
    ),
    # Logging in and one's own account.
    ("accounts.login", "GET"): Route(200),
    ("accounts.login", "POST"): Route(400),
    ("accounts.logout", "GET"): Route((303, 200, 200, 200, 200)),
    ("accounts.logout", "POST"): Route(303),
    ("accounts.account", "GET"): Route(signed_in(200)),
    ("accounts.change_password", "POST"): Route(signed_in(400)),
    ("accounts.reset_feed", "POST"): Route(signed_in(303)),
    ("accounts.forgot_password", "GET"): Route(200),
    ("accounts.forgot_password", "POST"): Route(
        200, data=lambda site: {"email": "nobody@example.org"}
    ),
    ("accounts.reset_password", "GET"): Route(404, lambda site: {"token": "stale"}),
    ("accounts.reset_password", "POST"): Route(404, lambda site: {"token": "stale"}),
    ("accounts.accept_invitation", "GET"): Route(404, lambda site: {"token": "stale"}),
    ("accounts.accept_invitation", "POST"): Route(404, lambda site: {"token": "stale"}),
    # People, for admins.
    ("accounts.people", "GET"): Route(staff_only(200)),
    ("accounts.invite", "GET"): Route(staff_only(200)),
    ("accounts.invite", "POST"): Route(staff_only(400)),
    ("accounts.person", "GET"): Route(staff_only(200), invitee),
    ("accounts.person", "POST"): Route(staff_only(303), invitee, make_organiser),
    ("accounts.disable", "POST"): Route(staff_only(303), invitee),
    ("accounts.enable", "POST"): Route(staff_only(303), invitee),
    ("accounts.resend_invitation", "POST"): Route(staff_only(303), invitee),
    # The organiser's tools.
    ("organise.dashboard", "GET"): Route(organisers(200)),
    ("organise.new_event", "GET"): Route(organisers(200)),
    ("organise.new_event", "POST"): Route(organisers(400)),
    ("organise.import_events", "GET"): Route(organisers(200)),
    ("organise.import_events", "POST"): Route(organisers(400)),
    ("organise.edit_event", "GET"): Route(managers(200), event),
    ("organise.edit_event", "POST"): Route(
        managers(400), event, lambda site: {"title": "Renamed"}
    ),
    ("organise.publish_event", "POST"): Route(draft_managers(303), draft),
    ("organise.cancel_event", "GET"): Route(managers(200), event),
    ("organise.cancel_event", "POST"): Route(managers(303), event),
    ("organise.delete_event", "GET"): Route(draft_managers(200), draft),
    ("organise.delete_event", "POST"): Route(draft_managers(303), draft),
    ("organise.audit_trail", "GET"): Route(
        managers(200), event, shows_registrants=MANAGERS, must_show=False
    ),
    ("organise.registrants", "GET"): Route(
        managers(200), event, shows_registrants=MANAGERS
    ),
    ("organise.export_registrants", "GET"): Route(
        managers(200), event, shows_registrants=MANAGERS
    ),
    ("organise.approve", "POST"): Route(managers(303), registrant("pending")),
    ("organise.reject", "POST"): Route(managers(303), registrant("pending")),
    ("organise.cancel_registration", "GET"): Route(
        managers(200), registrant("confirmed"), shows_registrants=MANAGERS
    ),
    ("organise.cancel_registration", "POST"): Route(
        managers(303), registrant("confirmed")
    ),
    ("organise.erase_registration", "GET"): Route(
        managers(200), registrant("confirmed"), shows_registrants=MANAGERS
    ),
    ("organise.erase_registration", "POST"): Route(
        managers(303), registrant("confirmed")
    ),
    ("organise.checkin", "GET"): Route(
        managers(200), event, shows_registrants=MANAGERS
    ),
    ("organise.check_in", "POST"): Route(managers(303), registrant("confirmed")),
    ("organise.undo_check_in", "POST"): Route(managers(303), registrant("confirmed")),
    ("organise.walk_in", "POST"): Route(
        managers(303), event, lambda site: {"language": "en", "sector": "schools"}
    ),
    # Training: each person's own progress, the public certificate check, reports.
    ("learning.dashboard", "GET"): Route(signed_in(200)),
    ("learning.module", "GET"): Route(signed_in(200), training_module),
    ("learning.lesson", "GET"): Route(signed_in(200), training_lesson),
    ("learning.lesson", "POST"): Route(signed_in(303), training_lesson),
    ("learning.quiz", "GET"): Route(signed_in(200), training_module),
    ("learning.quiz", "POST"): Route(
        signed_in(303),
        training_module,
        lambda site: {"question-access-module-question-1": "1"},
    ),
    ("learning.quiz_result", "GET"): Route((302, 200, 404, 404, 404), learners_attempt),
    ("learning.certificate", "GET"): Route(signed_in(200)),
    ("learning.certificate", "POST"): Route(signed_in(303)),
    ("learning.verify_certificate", "GET"): Route(200, certificate_code),
    ("learning.revoke_certificate", "POST"): Route(
        staff_only(303), certificate_code, lambda site: {"reason": "Issued in error"}
    ),
    ("learning.training", "GET"): Route(organisers(200)),
    ("learning.export_training", "GET"): Route(organisers(200)),
    # Indicators: milestones and outside meetings, and the public survey.
    ("indicators.overview", "GET"): Route(organisers(200)),
    ("indicators.milestones", "GET"): Route(managers(200), community),
    ("indicators.milestones", "POST"): Route(managers(400), community),
    ("indicators.withdraw_milestone", "POST"): Route(managers(303), milestone),
    ("indicators.meetings", "GET"): Route(managers(200), community),
    ("indicators.meetings", "POST"): Route(managers(400), community),
    ("indicators.withdraw_meeting", "POST"): Route(managers(303), outside_meeting),
    ("survey.by_link", "GET"): Route(200, personal_survey),
    ("survey.by_link", "POST"): Route(
        200, personal_survey, lambda site: SURVEY_ANSWERS
    ),
    ("survey.at_event", "GET"): Route(200, door_survey),
    ("survey.at_event", "POST"): Route(200, door_survey, lambda site: SURVEY_ANSWERS),
    # The indicators report: figures only, never a registrant.
    ("reports.report", "GET"): Route(organisers(200)),
    ("reports.export", "GET"): Route(organisers(200)),
}


def every_route(app) -> set[tuple[str, str]]:
    """Each endpoint and method the application answers, apart from static files."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((rule.endpoint, method))
    return routes


@pytest.fixture
def app_config(tmp_path):
    """Messages the walk sends are written where the test can forget them."""
    return {"MAIL_FOLDER": str(tmp_path / "mail")}


def test_every_route_has_expected_statuses(app):
    """A new route fails here until the table says who may open it."""
    routes = every_route(app)

    assert sorted(routes - EXPECTED.keys()) == [], "routes missing from the table"
    assert sorted(EXPECTED.keys() - routes) == [], "table entries with no route"


@pytest.fixture
def site(make_community, make_event, make_user, now):
    """Two communities with their organisers, an event with registrants, and more."""
    home = make_community(slug="home", name="Home TFC")
    away = make_community(slug="away", name="Away TFC")
    the_event = make_event(
        slug="home-event", community=home, requires_approval=True, capacity=10
    )
    people = {
        "learner": make_user(email="learner@example.org", member_of=[home]),
        "other-organiser": make_user(email="other@example.org", organises=[away]),
        "organiser": make_user(email="organiser@example.org", organises=[home]),
        "admin": make_user(email="admin@example.org", is_admin=True),
    }
    for person in people.values():
        person.password_hash = QUICK_HASH
    people["invitee"] = make_user(email="invitee@example.org", password=None)
    tokens = {}
    registrations = {}
    for key, (name, email) in REGISTRANTS.items():
        registration = Registration(
            event=the_event,
            name=name,
            email=email,
            language="en",
            status="confirmed" if key == "second" else key,
            consented_at=now - timedelta(days=1),
        )
        tokens[key] = f"manage-{key}-secret"
        registration.tokens = [ManageToken(token_hash=hash_token(tokens[key]))]
        db.session.add(registration)
        registrations[key] = registration
    db.session.flush()
    learner_feed = reset_feed_token(people["learner"])
    db.session.commit()
    module = add_module("access-module", position=1, lessons=1, questions=1)
    attempt = QuizAttempt(
        user_id=people["learner"].id,
        module_id=module.id,
        module_version=module.version,
        asked=1,
        correct=0,
        passed=False,
        choices={"access-module-question-1": [3]},
    )
    certificate = Certificate(
        user_id=people["learner"].id,
        code="access-certificate",
        name=people["learner"].name,
        curriculum_title="Leader training",
    )
    db.session.add_all([attempt, certificate])
    finished_event = make_event(
        slug="home-awareness-done",
        community=home,
        starts_at=now - timedelta(days=1),
    )
    respondent = Registration(
        event=finished_event,
        name="Survey Respondent",
        email="respondent@example.net",
        language="en",
        status="confirmed",
        consented_at=now - timedelta(days=3),
        attended_at=now - timedelta(days=1),
    )
    recorded = Milestone(
        community_id=home.id,
        kind="research-completed",
        achieved_on=now.date() - timedelta(days=30),
        recorded_by_id=people["organiser"].id,
    )
    meeting = OutsideMeeting(
        community_id=home.id,
        held_on=now.date() - timedelta(days=20),
        people_present=9,
        sectors=[db.session.get(Sector, "schools"), db.session.get(Sector, "media")],
    )
    db.session.add_all([respondent, recorded, meeting])
    db.session.commit()

    return {
        "home": home,
        "away": away,
        "event": the_event,
        "draft": make_event(slug="home-draft", community=home, status="draft"),
        "away-event": make_event(slug="away-event", community=away),
        "network-event": make_event(slug="network-event", community=None),
        "registrations": registrations,
        "manage-token": tokens["confirmed"],
        "learner-feed": learner_feed,
        "module": module,
        "attempt": attempt,
        "certificate": certificate,
        "finished-event": finished_event,
        "respondent": respondent,
        "milestone": recorded,
        "meeting": meeting,
        **people,
    }


def open_as(app, login, site, role, endpoint, method, route):
    """Log in as ``role`` in a browser of its own and send the request described."""
    client = app.test_client()
    if role != "anonymous":
        assert login(client, site[role]).status_code == 303

    with app.test_request_context():
        url = url_for(endpoint, **route.values(site))
    if method == "GET":
        return client.get(url)
    return client.post(url, data=route.data(site))


#: Answers that refuse: the request must have changed nothing.
REFUSALS = {302, 403, 404}

HOLDS_REGISTRANTS = "holds registrants"
NO_REGISTRANTS = "no registrants"


def state_of_the_site() -> list:
    """Everything a refused request could have changed, to compare before and after."""
    db.session.expire_all()
    events = db.session.scalars(db.select(Event).order_by(Event.id))
    registrations = db.session.scalars(
        db.select(Registration).order_by(Registration.id)
    )
    accounts = db.session.scalars(db.select(User).order_by(User.id))
    return [
        [(e.id, e.slug, e.status, e.title, e.sequence, e.updated_at) for e in events],
        [
            (r.id, r.status, r.name, r.email, r.attended_at, r.erased_at)
            for r in registrations
        ],
        [
            (u.id, u.is_admin, u.disabled_at, u.password_hash, u.feed_token_hash)
            for u in accounts
        ],
        db.session.scalar(db.select(db.func.count()).select_from(Membership)),
        [
            (m.id, m.withdrawn_at)
            for m in db.session.scalars(db.select(Milestone).order_by(Milestone.id))
        ],
        [
            (m.id, m.withdrawn_at)
            for m in db.session.scalars(
                db.select(OutsideMeeting).order_by(OutsideMeeting.id)
            )
        ],
        db.session.scalar(db.select(db.func.count()).select_from(SurveyResponse)),
    ]


def registrant_data_in(response) -> list[str]:
    """The registrants' names and addresses that an answer holds."""
    text = response.get_data(as_text=True).lower()
    found = []
    for name, email in REGISTRANTS.values():
        found += [value for value in (name, email) if value.lower() in text]
    return found


def expected_answer(route: Route, role: str) -> tuple[int, str]:
    """The status the table names for ``role``, and whether registrants must show."""
    if role in route.shows_registrants and route.must_show:
        return route.status_for(role), HOLDS_REGISTRANTS
    return route.status_for(role), NO_REGISTRANTS


def answer_seen(route: Route, role: str, response) -> tuple[int | str, str]:
    """The status, and whether registrants show, as :func:`expected_answer` puts it."""
    status = response.status_code
    if status == 302 and "/login" not in response.headers["Location"]:
        status = f"302 to {response.headers['Location']}"

    found = registrant_data_in(response)
    if role in route.shows_registrants and not route.must_show:
        return status, NO_REGISTRANTS
    if role in route.shows_registrants:
        return status, HOLDS_REGISTRANTS if found else NO_REGISTRANTS
    return status, f"{HOLDS_REGISTRANTS}: {found}" if found else NO_REGISTRANTS


def answers(app, login, site, endpoint, method, roles) -> dict:
    """What each of ``roles`` is answered, each in a browser of its own."""
    route = EXPECTED[(endpoint, method)]
    return {
        role: answer_seen(
            route, role, open_as(app, login, site, role, endpoint, method, route)
        )
        for role in roles
    }


PAGES = sorted(endpoint for endpoint, method in EXPECTED if method == "GET")


@pytest.mark.parametrize("endpoint", PAGES)
def test_page_for_each_role(app, login, site, endpoint):
    """Every role gets the status in the table, and registrants only where allowed."""
    route = EXPECTED[(endpoint, "GET")]
    before = state_of_the_site()

    seen = answers(app, login, site, endpoint, "GET", ROLES)

    assert seen == {role: expected_answer(route, role) for role in ROLES}
    assert state_of_the_site() == before


def refused_roles(route: Route) -> list[str]:
    """The roles the table turns away from ``route``."""
    return [role for role in ROLES if route.status_for(role) in REFUSALS]


#: Each form with the roles that may send it; a refused role changes nothing, so
#: the refused ones are tried together on one site.
POSTS = sorted(key for key in EXPECTED if key[1] == "POST")
ALLOWED_POSTS = [
    (endpoint, role)
    for endpoint, method in POSTS
    for role in ROLES
    if role not in refused_roles(EXPECTED[(endpoint, method)])
]


@pytest.mark.parametrize("endpoint", [endpoint for endpoint, _method in POSTS])
def test_form_refused(app, login, site, endpoint):
    """Those the table refuses get the status it names, and nothing changes."""
    route = EXPECTED[(endpoint, "POST")]
    roles = refused_roles(route)
    before = state_of_the_site()

    seen = answers(app, login, site, endpoint, "POST", roles)

    assert seen == {role: expected_answer(route, role) for role in roles}
    assert state_of_the_site() == before


@pytest.mark.parametrize(("endpoint", "role"), ALLOWED_POSTS)
def test_form_allowed(app, login, site, endpoint, role):
    """Those the table lets through get the status it names."""
    route = EXPECTED[(endpoint, "POST")]

    response = open_as(app, login, site, role, endpoint, "POST", route)

    assert answer_seen(route, role, response) == expected_answer(route, role)


#: Organiser routes that act on one registration of an event.
REGISTRATION_ROUTES = sorted(
    key for key, route in EXPECTED.items() if hasattr(route.values, "registration_key")
)

#: Organiser pages of one event, read without changing anything.
EVENT_PAGES = sorted(
    key
    for key, route in EXPECTED.items()
    if key[0].startswith("organise.") and key[1] == "GET" and route.values is event
)


@pytest.mark.parametrize("role", ["organiser", "admin"])
@pytest.mark.parametrize(("endpoint", "method"), REGISTRATION_ROUTES)
def test_registration_of_another_event_is_not_found(
    app, login, site, endpoint, method, role
):
    """A registration id reached through the wrong event's address does not exist."""
    key = EXPECTED[(endpoint, method)].values.registration_key
    registration = Registration(
        event=site["away-event"],
        name="Away Registrant",
        email="away.registrant@example.net",
        language="en",
        status=key,
        consented_at=site["event"].created_at,
    )
    db.session.add(registration)
    db.session.commit()
    route = Route(
        404,
        lambda site: {"slug": site["event"].slug, "registration_id": registration.id},
    )
    before = state_of_the_site()

    response = open_as(app, login, site, role, endpoint, method, route)

    assert response.status_code == 404
    assert state_of_the_site() == before
    assert b"Away Registrant" not in response.data


@pytest.mark.parametrize(
    ("role", "status"),
    [("other-organiser", 403), ("organiser", 403), ("admin", 200)],
)
@pytest.mark.parametrize(("endpoint", "method"), EVENT_PAGES)
def test_network_events_are_for_admins(
    app, login, site, endpoint, method, role, status
):
    """Only admins manage the events the network holds itself."""
    route = Route(status, lambda site: {"slug": site["network-event"].slug})

    response = open_as(app, login, site, role, endpoint, method, route)

    assert response.status_code == status
