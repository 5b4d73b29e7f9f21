"""A learner's whole path through the shipped curriculum, driven through the pages:
log in, read, mark lessons done, fail a quiz then pass it, receive the certificate
and verify it at its public address. (``test_browser.py`` tries the same pages in a
real browser, and prints the certificate.)
"""

import re

import pytest
from learning_support import sync_shipped_curriculum
from sqlalchemy import func, select

from tfc_training.extensions import db
from tfc_training.learning.models import (
    Certificate,
    Lesson,
    LessonCompletion,
    ModuleCompletion,
    Question,
    QuizAttempt,
)

PASSWORD = "correct horse battery"

#: The "Next for you" box of the dashboard, and the button in it.
NEXT_STEP = re.compile(r'<section class="next-step".*?</section>', re.DOTALL)
BUTTON = re.compile(r'<a class="button" href="([^"]+)"')
QUESTION_FIELD = re.compile(r'name="(question-[a-z0-9-]+)"')
LESSON_URL = re.compile(r"/learn/[a-z0-9-]+/[a-z0-9-]+/")


@pytest.fixture
def shipped_curriculum(app, now):
    """The curriculum in the project's ``curriculum/`` folder, synced."""
    return sync_shipped_curriculum(now)


def next_step(client) -> str | None:
    """The address the dashboard's "Next for you" button leads to, if any."""
    page = client.get("/learn/").get_data(as_text=True)
    box = NEXT_STEP.search(page)
    return BUTTON.search(box.group(0)).group(1) if box else None


def quiz_answers(page: str, right: bool) -> dict[str, list[str]]:
    """Answers to the questions the quiz page shows, all right or all wrong."""
    fields = dict.fromkeys(QUESTION_FIELD.findall(page))
    answers = {}
    for field in fields:
        question = db.session.scalar(
            select(Question).where(Question.key == field.removeprefix("question-"))
        )
        chosen = [a.position for a in question.answers if a.correct == right]
        answers[field] = [
            str(position) for position in chosen[: 1 if not right else None]
        ]
    return answers


def read_and_finish_lessons(client, url) -> str:
    """Read each lesson from ``url`` on and mark it done; return where that leads."""
    while LESSON_URL.fullmatch(url):
        page = client.get(url).get_data(as_text=True)
        assert "Mark as done" in page
        response = client.post(url)
        assert response.status_code == 303
        url = response.headers["Location"]
    return url


def take_quiz(client, url, *, right: bool) -> str:
    """Answer the quiz at ``url`` and return the result page."""
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data=quiz_answers(page, right))
    assert response.status_code == 303
    assert "/quiz/" in response.headers["Location"]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_learner_goes_from_the_first_lesson_to_a_verified_certificate(
    app, client, login, make_user, shipped_curriculum
):
    modules = shipped_curriculum
    learner = make_user(name="Marisol Reyes", password=PASSWORD)
    assert login(client, learner).status_code == 303
    second = modules[1]
    assert client.get(f"/learn/{second.key}/").status_code == 200
    assert "This module opens once" in client.get(f"/learn/{second.key}/").text

    failed_once = False
    while (url := next_step(client)) is not None:
        if LESSON_URL.fullmatch(url):
            url = read_and_finish_lessons(client, url)
        if not url.endswith("/quiz"):
            continue

        if not failed_once:
            result = take_quiz(client, url, right=False)
            assert "Not passed yet" in result
            assert "Why:" in result
            failed_once = True
        result = take_quiz(client, url, right=True)
        assert "Passed" in result

    dashboard = client.get("/learn/").get_data(as_text=True)
    assert f"You have completed {len(modules)} of {len(modules)} modules." in dashboard
    assert "You have earned your certificate." in dashboard
    page = client.get("/learn/certificate").get_data(as_text=True)
    code = re.search(r'certificate-code">([A-Za-z0-9_-]+)<', page).group(1)
    assert "Marisol Reyes" in page

    public = app.test_client().get(f"/certificates/{code}").get_data(as_text=True)
    assert "This certificate is valid." in public
    assert "Marisol Reyes" in public

    required = db.session.scalar(
        select(func.count()).select_from(Lesson).where(Lesson.required.is_(True))
    )
    assert count(LessonCompletion) == required
    assert count(ModuleCompletion) == len(modules)
    assert count(QuizAttempt) == len(modules) + 1
    assert count(Certificate) == 1
