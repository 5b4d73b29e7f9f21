"""The anonymous survey after awareness events: the follow-up e-mail, the personal
link, the QR code at the door, and what is (not) stored."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from organise_support import add_registration, build_site, count, fresh, log_in
from sqlalchemy import inspect, select

from tfc_training.extensions import db
from tfc_training.indicators import survey
from tfc_training.indicators.models import SurveyReceipt, SurveyResponse
from tfc_training.mail import services as mail
from tfc_training.registration.models import Registration

ANSWERS = {"knows_hotline": "yes", "can_name_sign": "unsure"}


@pytest.fixture
def site(make_community, make_user, make_event, now):
    return build_site(make_community, make_user, make_event, now)


@pytest.fixture
def finished(site, make_event, now):
    """An awareness event of the home community that ended an hour ago."""
    return make_event(
        slug="bus-station-awareness",
        title="Awareness at the bus station",
        community=site.home,
        starts_at=now - timedelta(hours=3),
        ends_at=now - timedelta(hours=1),
    )


@pytest.fixture
def attendee(finished, now):
    return add_registration(
        finished,
        name="Marisol Attendee",
        email="marisol@example.net",
        attended_at=now - timedelta(hours=2),
    )


def personal_path(registration) -> str:
    return f"/survey/{survey.personal_token(registration)}"


def door_path(event) -> str:
    return f"/survey/event/{survey.event_token(event)}"


def responses():
    db.session.rollback()
    return list(db.session.scalars(select(SurveyResponse).order_by(SurveyResponse.id)))


# --- The personal link -------------------------------------------------------------


def test_answer_through_the_personal_link(client, attendee, finished, now):
    page = client.get(personal_path(attendee))
    assert page.status_code == 200
    assert "Do you know how to reach the trafficking hotline?" in page.text
    assert "Can you name a sign of trafficking?" in page.text
    # The page knows whose link it is, and says nothing about it.
    assert "Marisol" not in page.text and "marisol@" not in page.text

    response = client.post(personal_path(attendee), data=ANSWERS)

    assert response.status_code == 200
    assert "1-888-373-7888" in response.text
    assert "233733" in response.text
    [answer] = responses()
    assert answer.event_id == finished.id
    assert (answer.knows_hotline, answer.can_name_sign) == ("yes", "unsure")
    assert answer.channel == "email"
    assert answer.submitted_on == now.astimezone(finished.zone).date()
    assert db.session.get(SurveyReceipt, attendee.id) is not None


def test_one_answer_per_registration(client, attendee):
    client.post(personal_path(attendee), data=ANSWERS)

    again = client.post(
        personal_path(attendee), data={"knows_hotline": "no", "can_name_sign": "no"}
    )

    assert again.status_code == 200
    assert "already received" in again.text
    assert [a.knows_hotline for a in responses()] == ["yes"]
    assert "already received" in client.get(personal_path(attendee)).text


def test_a_second_answer_at_the_same_moment_is_refused(
    attendee, finished, now, monkeypatch
):
    """The receipt's key holds even when two answers both passed the check."""
    survey.record_answer(
        finished,
        knows_hotline="yes",
        can_name_sign="yes",
        registration=attendee,
        now=now,
    )
    db.session.commit()
    monkeypatch.setattr(survey, "has_answered", lambda registration: False)

    with pytest.raises(survey.AlreadyAnswered):
        survey.record_answer(
            finished,
            knows_hotline="no",
            can_name_sign="no",
            registration=attendee,
            now=now,
        )
    db.session.commit()

    assert [a.knows_hotline for a in responses()] == ["yes"]


def test_answers_are_stored_without_personal_data(app):
    """Nothing in the answers' table could lead back to a person or a moment."""
    columns = {
        column["name"] for column in inspect(db.engine).get_columns("survey_response")
    }
    assert columns == {
        "id",
        "event_id",
        "knows_hotline",
        "can_name_sign",
        "channel",
        "submitted_on",
    }
    receipt = {
        column["name"] for column in inspect(db.engine).get_columns("survey_receipt")
    }
    assert receipt == {"registration_id"}


def test_missing_answer_is_explained_and_nothing_stored(client, attendee):
    response = client.post(personal_path(attendee), data={"knows_hotline": "yes"})

    assert response.status_code == 400
    assert "Choose an answer to this question." in response.text
    # The answer given stays chosen.
    assert re.search(r'value="yes"[^>]*checked|checked[^>]*value="yes"', response.text)
    assert responses() == []
    assert count(SurveyReceipt) == 0


def test_an_answer_outside_the_choices_is_refused(client, attendee):
    response = client.post(
        personal_path(attendee), data={"knows_hotline": "maybe", "can_name_sign": "no"}
    )

    assert response.status_code == 400
    assert responses() == []


@pytest.mark.parametrize("token", ["nonsense", "1.abc.def"])
def test_a_broken_link_says_so(client, token):
    response = client.get(f"/survey/{token}")

    assert response.status_code == 404
    assert "This link does not work" in response.text


def test_a_link_signed_for_the_door_is_not_a_personal_link(client, finished):
    token = survey.event_token(finished)

    assert client.get(f"/survey/{token}").status_code == 404


def test_an_erased_registration_has_no_survey(client, attendee, now):
    path = personal_path(attendee)
    registration = db.session.get(Registration, attendee.id)
    registration.name = registration.email = None
    registration.erased_at = now
    db.session.commit()

    assert client.get(path).status_code == 404


def test_survey_is_closed_before_the_event_begins(client, site):
    # The site's own event is an awareness event a week from now.
    registration = add_registration(site.foreign)

    page = client.get(personal_path(registration))
    posted = client.post(personal_path(registration), data=ANSWERS)

    assert page.status_code == 200
    assert "open when the event begins" in page.text
    assert posted.status_code == 409
    assert responses() == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"type": "workshop"}, "after awareness events only"),
        ({"status": "cancelled"}, "not taking place as planned"),
    ],
)
def test_survey_only_for_published_awareness_events(
    client, make_event, site, now, changes, message
):
    event = make_event(
        community=site.home,
        starts_at=now - timedelta(hours=3),
        ends_at=now - timedelta(hours=1),
        **changes,
    )

    response = client.post(door_path(event), data=ANSWERS)

    assert response.status_code == 409
    assert message in response.text
    assert "1-888-373-7888" in response.text
    assert responses() == []


# --- The QR code at the door -------------------------------------------------------


def test_answer_through_the_door_link_once_per_browser(client, finished):
    first = client.post(door_path(finished), data=ANSWERS)
    second = client.post(door_path(finished), data=ANSWERS)

    assert first.status_code == second.status_code == 200
    assert "already received" in second.text
    [answer] = responses()
    assert answer.channel == "event"
    assert count(SurveyReceipt) == 0


def test_another_browser_answers_too(app, finished):
    for _ in range(2):
        app.test_client().post(door_path(finished), data=ANSWERS)

    assert len(responses()) == 2


def test_check_in_page_shows_the_qr_code(app, client, site, finished):
    log_in(client, site.organiser)
    app.test_client().post(door_path(finished), data=ANSWERS)

    page = client.get(f"/organise/events/{finished.slug}/check-in").text

    assert "<svg" in page and 'class="qr-code"' in page
    link = re.search(r'<a href="([^"]+/survey/event/[^"]+)">', page).group(1)
    assert link.startswith(app.config["SITE_URL"])
    assert "1 answer so far." in page
    # The address in the code is the one that works.
    assert client.get(urlsplit(link).path).status_code == 200


def test_check_in_page_of_other_events_has_no_qr_code(client, site, make_event):
    workshop = make_event(type="workshop", community=site.home)
    log_in(client, site.organiser)

    page = client.get(f"/organise/events/{workshop.slug}/check-in").text

    assert "qr-code" not in page


def test_survey_pages_keep_their_address_private(client, finished):
    response = client.get(door_path(finished))

    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


# --- The follow-up e-mail ----------------------------------------------------------


def test_follow_up_goes_once_to_each_attendee(
    app, runner, site, finished, attendee, now, smtp_server
):
    add_registration(finished, name="Did Not Come")
    add_registration(finished, status="cancelled", name="Cancelled Early")
    add_registration(site.event, attended_at=None)

    first = runner.invoke(args=["mail", "send-follow-ups"])
    second = runner.invoke(args=["mail", "send-follow-ups"])

    assert first.exit_code == 0, first.output
    assert "1 follow-ups queued, 1 sent, 0 failed." in first.output
    assert "0 follow-ups queued" in second.output
    [message] = smtp_server.received
    assert message.recipients == ["marisol@example.net"]
    assert message.subject == "Thank you for coming: Awareness at the bus station"
    assert "233733" in message.text
    link = re.search(r"\S+/survey/\S+", message.text).group(0)
    assert link.startswith(app.config["SITE_URL"] + "/survey/")
    assert link in message.html


def test_follow_up_link_takes_the_answer(app, finished, attendee, now, mail_folder):
    mail.queue_survey_invitations(now=now)
    db.session.commit()
    [message] = db.session.scalars(select(mail.OutboxMessage)).all()
    link = re.search(r"\S+/survey/\S+", message.text_body).group(0)

    response = app.test_client().post(urlsplit(link).path, data=ANSWERS)

    assert response.status_code == 200
    assert db.session.get(SurveyReceipt, attendee.id) is not None


def test_no_follow_up_for_old_or_other_events(make_event, site, now):
    old = make_event(
        community=site.home,
        starts_at=now - timedelta(days=10),
        ends_at=now - timedelta(days=10) + timedelta(hours=2),
    )
    workshop = make_event(
        type="workshop",
        community=site.home,
        starts_at=now - timedelta(hours=3),
        ends_at=now - timedelta(hours=1),
    )
    for event in (old, workshop):
        add_registration(event, attended_at=event.starts_at)

    assert mail.queue_survey_invitations(now=now) == 0


def test_no_follow_up_after_answering(client, finished, attendee, now):
    client.post(personal_path(attendee), data=ANSWERS)

    assert mail.queue_survey_invitations(now=now) == 0


def test_follow_up_skips_walk_ins_without_address(finished, now):
    registration = Registration(
        event_id=finished.id,
        language="en",
        status="confirmed",
        source="walk-in",
        attended_at=now - timedelta(hours=2),
    )
    db.session.add(registration)
    db.session.commit()

    assert mail.queue_survey_invitations(now=now) == 0
    assert fresh(Registration, registration.id).email is None
