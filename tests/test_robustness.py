"""Odd input in addresses gets a clear 4xx answer, never a 500."""

import io
import logging

import pytest
from security_support import log_in_with_token

ODD_PATHS = [
    "/events/%00/",
    "/events/%00/register",
    "/events/%00.ics",
    "/communities/%00/",
    "/communities/%00/calendar.ics",
    "/events/%ff/",
    "/events/" + "a" * 500 + "/",
    "/events/?page=99999999999999999999",
    "/events/?page=0",
    "/events/?page=-1",
]


@pytest.mark.parametrize("path", ODD_PATHS)
def test_odd_paths_are_not_found(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/events/", "/calendar.ics", "/calendar/"])
@pytest.mark.parametrize("value", ["%00", "x%00y", "%ff", "a" * 500])
def test_odd_community_filter_is_refused_with_a_message(client, path, value):
    response = client.get(f"{path}?community={value}")

    assert response.status_code in (400, 404)
    assert b"community" in response.data.lower()


@pytest.mark.parametrize(
    "path",
    [
        "/events/?q=%00",
        "/events/?type=x%00",
        "/calendar.ics?language=%00",
        "/organise/?q=a%00b",
        "/reports/?start=%00",
    ],
)
def test_a_nul_in_the_query_string_is_refused_with_a_message(client, path):
    response = client.get(path)

    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "invisible control character" in text
    assert "\x00" not in text


def test_a_nul_in_a_search_never_reaches_the_database(client, make_user, make_event):
    event = make_event()
    log_in_with_token(client, make_user(is_admin=True).email)

    response = client.get(f"/organise/events/{event.slug}/check-in?q=a%00b")

    assert response.status_code == 400


@pytest.mark.parametrize("value", ["%01", "a%1bb", "%e2%80%ae"])
def test_a_refused_filter_does_not_echo_control_characters(client, value):
    response = client.get(f"/events/?language={value}")

    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "There is no language" in text
    assert not any(character in text for character in "\x01\x1b\u202e")


def test_error_log_names_the_route_not_the_secret_path(app, client, caplog):
    @app.get("/r/<token>/explode")
    def explode(token):
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.ERROR):
        response = client.get("/r/secret-token-value/explode")

    assert response.status_code == 500
    assert "secret-token-value" not in caplog.text
    assert "/r/<token>/explode" in caplog.text


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def test_a_form_without_its_token_is_refused_with_an_explanation(client, make_event):
    event = make_event()

    response = client.post(f"/events/{event.slug}/register", data={"name": "A"})

    assert response.status_code == 400
    assert b"cookies" in response.data


def test_a_body_too_large_gets_the_site_page_with_the_limit(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 4 * 1024 * 1024

    response = client.post(
        "/organise/import",
        data={"file": (io.BytesIO(b"x" * (4 * 1024 * 1024 + 1)), "events.csv")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "4 MB" in text
    assert "See upcoming events" in text
    assert "Request Entity Too Large" not in text


def test_the_import_page_says_how_large_a_file_may_be(client, make_user):
    # This module sends forms with their CSRF token, as browsers do.
    log_in_with_token(client, make_user(is_admin=True).email)

    page = client.get("/organise/import").get_data(as_text=True)

    assert "The file may be at most 4 MB" in page
