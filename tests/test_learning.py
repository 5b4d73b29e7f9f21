"""Learning: progress, lessons done, quizzes, completing modules, prerequisites,
certificates and the training report."""

import csv
import io
import itertools
import re
import threading
import time
from contextlib import contextmanager

import pytest
import requests
from learning_support import (
    add_lesson,
    add_module,
    current_questions,
    lessons_of,
    quiz_form,
    right_choices,
    wrong_choices,
)
from sql_support import counting_queries
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from tfc_training.extensions import db
from tfc_training.learning import services
from tfc_training.learning.models import (
    Certificate,
    LessonCompletion,
    ModuleCompletion,
    QuizAttempt,
)
from tfc_training.learning.services import LearningRefused

PASSWORD = "correct horse battery"


@pytest.fixture
def curriculum(app):
    """Two modules; the second opens once the first is completed and allows two
    attempts at its quiz."""
    first = add_module("first", position=1, lessons=2, optional_lessons=1)
    second = add_module("second", position=2, prerequisites=(first,), max_attempts=2)
    return first, second


@pytest.fixture
def learner(make_user):
    return make_user(name="Ana Learner")


@pytest.fixture
def browser(client, learner, login):
    """A client logged in as the learner."""
    assert login(client, learner).status_code == 303
    return client


def count(model, **where) -> int:
    db.session.expire_all()
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def finish_module(user, module, now):
    """Do every required lesson of ``module`` and pass its quiz, through the services."""
    for lesson in lessons_of(module):
        if lesson.required:
            services.complete_lesson(user, lesson, now=now)
    services.submit_quiz(user, module, right_choices(module), now=now)
    db.session.commit()


def module_progress(user, module):
    db.session.expire_all()
    return services.progress_of(user).module(module.id)


def selects(statements: list[str]) -> list[str]:
    return [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]


# --- Progress -----------------------------------------------------------------------


def test_a_new_learner_starts_at_the_first_lesson(curriculum, learner):
    first, second = curriculum

    progress = services.progress_of(learner)

    assert [m.percent for m in progress.modules] == [0, 0]
    assert [m.status for m in progress.modules] == ["not-started", "locked"]
    assert progress.module(second.id).waiting_for == [first]
    step = progress.next_step
    assert (step.kind, step.lesson.key) == ("lesson", "first-lesson-1")


def test_steps_are_required_lessons_and_the_quiz(curriculum, learner, now):
    first, _second = curriculum
    lessons = lessons_of(first)

    services.complete_lesson(learner, lessons[0], now=now)
    services.complete_lesson(learner, lessons[2], now=now)  # optional: counts nothing
    db.session.commit()

    progress = module_progress(learner, first)
    assert (progress.steps_done, progress.steps, progress.percent) == (1, 3, 33)


def test_progress_never_exceeds_100_percent(learner, now):
    """Whatever is done, archived or passed, progress stays between 0 and 100 %, and
    reaches 100 % only when every step is done."""
    module = add_module("only", position=1, lessons=3, optional_lessons=1)
    lessons = lessons_of(module)
    archived = add_lesson(module, 9, key="only-old-lesson")
    services.complete_lesson(learner, archived, now=now)
    archived.archived_at = now
    db.session.commit()

    for done in itertools.chain.from_iterable(
        itertools.combinations(lessons, size) for size in range(len(lessons) + 1)
    ):
        progress = services.progress_of(learner).module(module.id)
        progress.done = {lesson.id: None for lesson in done} | {archived.id: None}
        for passed in (False, True):
            progress.attempts = [QuizAttempt(asked=2, correct=2, passed=passed)]
            all_done = passed and all(lesson in done for lesson in lessons[:3])

            assert 0 <= progress.percent <= 100
            assert (progress.percent == 100) == all_done


def test_completions_of_archived_lessons_count_for_nothing(learner, now):
    module = add_module("only", position=1, lessons=2)
    first, second = lessons_of(module)
    services.complete_lesson(learner, first, now=now)
    services.complete_lesson(learner, second, now=now)
    second.archived_at = now
    add_lesson(module, 3)

    progress = module_progress(learner, module)

    assert set(progress.done) == {first.id}
    assert (progress.steps_done, progress.steps) == (1, 3)
    assert count(LessonCompletion, lesson_id=second.id) == 1


@pytest.mark.parametrize("learners", [1, 5])
def test_progress_is_read_in_a_fixed_number_of_queries(make_user, now, learners):
    """The same queries for two modules as for six, for one learner as for five."""
    people = [make_user() for _ in range(learners)]
    small = add_module("small", position=1, lessons=1, questions=1)
    user_ids = [person.id for person in people]
    finish_module(people[0], small, now)
    with counting_queries() as few:
        services.progress_of_people(user_ids)

    for number in range(2, 7):
        module = add_module(f"more-{number}", position=number, lessons=4, questions=3)
        finish_module(people[-1], module, now)
    with counting_queries() as many:
        services.progress_of_people(user_ids)

    assert len(selects(few)) == len(selects(many)) <= 8


# --- Lessons ------------------------------------------------------------------------


def test_marking_a_lesson_done_twice_keeps_one_row(curriculum, learner, now):
    lesson = lessons_of(curriculum[0])[0]

    first = services.complete_lesson(learner, lesson, now=now)
    again = services.complete_lesson(learner, lesson, now=now)
    db.session.commit()

    assert (first.created, again.created) == (True, False)
    assert again.completion.id == first.completion.id
    assert count(LessonCompletion) == 1


def test_a_completion_lost_to_a_race_returns_the_winners_row(
    curriculum, learner, now, monkeypatch
):
    """When another request writes the row between the check and the insert, the
    unique constraint refuses ours and the other's row is returned."""
    lesson = lessons_of(curriculum[0])[0]
    winner = LessonCompletion(
        user_id=learner.id, lesson_id=lesson.id, lesson_version=1, completed_at=now
    )
    db.session.add(winner)
    db.session.commit()
    real_lookup = services._lesson_completion
    lookups = iter([None])
    monkeypatch.setattr(
        services,
        "_lesson_completion",
        lambda user_id, lesson_id: (
            next(lookups, None) or real_lookup(user_id, lesson_id)
        ),
    )

    done = services.complete_lesson(learner, lesson, now=now)
    db.session.commit()

    assert (done.created, done.completion.id) == (False, winner.id)
    assert count(LessonCompletion) == 1


def test_completions_record_the_lesson_version(curriculum, learner, now):
    lesson = lessons_of(curriculum[0])[0]
    lesson.version = 4
    db.session.commit()

    done = services.complete_lesson(learner, lesson, now=now)

    assert done.completion.lesson_version == 4


def test_the_database_refuses_a_second_completion(learner):
    lesson = lessons_of(add_module("only", position=1))[0]
    for _ in range(2):
        db.session.add(
            LessonCompletion(user_id=learner.id, lesson_id=lesson.id, lesson_version=1)
        )

    with pytest.raises(IntegrityError):
        db.session.commit()


def test_the_database_refuses_a_second_valid_certificate(learner, now):
    def certificate(code):
        return Certificate(
            user_id=learner.id, code=code, name="Ana", curriculum_title="Training"
        )

    first = certificate("first-code")
    db.session.add(first)
    db.session.commit()
    db.session.add(certificate("second-code"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()

    first.revoked_at, first.revoked_reason = now, "Issued by mistake"
    db.session.add(certificate("second-code"))
    db.session.commit()
    assert count(Certificate) == 2


def test_the_lesson_page_renders_markdown_safely(browser, now):
    module = add_module("only", position=1, lessons=0)
    add_lesson(
        module,
        1,
        body=(
            "Text <script>alert('x')</script> and [a link](javascript:alert(1)).\n\n"
            "## Sources\n\n- UNODC: https://www.unodc.org/unodc/en/human-trafficking/\n"
        ),
    )

    page = browser.get("/learn/only/only-lesson-1/").get_data(as_text=True)

    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert 'href="javascript' not in page
    link = re.search(r'<a [^>]*href="https://www.unodc.org/[^>]*>', page).group(0)
    assert 'class="external"' in link
    assert 'rel="noopener noreferrer nofollow"' in link


def test_marking_done_moves_on_to_the_next_lesson(browser, curriculum):
    response = browser.post("/learn/first/first-lesson-1/")

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/learn/first/first-lesson-2/")
    assert count(LessonCompletion) == 1


def test_after_the_last_lesson_comes_the_quiz(browser, curriculum, learner, now):
    """Lessons follow in order, the optional one too, and the quiz comes last."""
    services.complete_lesson(learner, lessons_of(curriculum[0])[0], now=now)
    db.session.commit()

    to_optional = browser.post("/learn/first/first-lesson-2/")
    to_quiz = browser.post("/learn/first/first-lesson-3/")

    assert to_optional.headers["Location"].endswith("/learn/first/first-lesson-3/")
    assert to_quiz.headers["Location"].endswith("/learn/first/quiz")


def test_a_done_lesson_shows_the_day_and_leads_on(browser, curriculum):
    browser.post("/learn/first/first-lesson-1/")

    page = browser.get("/learn/first/first-lesson-1/").get_data(as_text=True)

    assert "You marked this lesson done on" in page
    assert "Mark as done" not in page
    assert 'href="/learn/first/first-lesson-2/"' in page


def test_a_changed_lesson_says_so(browser, curriculum, learner, now):
    lesson = lessons_of(curriculum[0])[0]
    services.complete_lesson(learner, lesson, now=now)
    lesson.version = 2
    db.session.commit()

    page = browser.get("/learn/first/first-lesson-1/").get_data(as_text=True)

    assert "It has been updated since." in page


@pytest.mark.parametrize(
    "url",
    [
        "/learn/missing/",
        "/learn/first/missing/",
        "/learn/first/second-lesson-1/",
        "/learn/missing/quiz",
    ],
)
def test_unknown_or_misplaced_pages_are_not_found(browser, curriculum, url):
    assert browser.get(url).status_code == 404


def test_archived_lessons_are_not_found(browser, curriculum, now):
    lesson = lessons_of(curriculum[0])[0]
    lesson.archived_at = now
    db.session.commit()

    assert browser.get("/learn/first/first-lesson-1/").status_code == 404
    assert browser.post("/learn/first/first-lesson-1/").status_code == 404
    assert count(LessonCompletion) == 0


# --- Two clicks at once, through a real server ---------------------------------------


def _logged_in_session(base_url, user) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # Loopback only: never go through a configured proxy.
    answer = session.post(
        f"{base_url}/login",
        data={"email": user.email, "password": PASSWORD},
        allow_redirects=False,
    )
    assert answer.status_code == 303
    return session


def _at_once(session, url, data, times, *, while_started=None) -> list[int]:
    """Send the same form ``times`` at the same moment; return the statuses.

    ``while_started`` runs once the requests are on their way.
    """
    barrier = threading.Barrier(times + 1)
    statuses = []

    def send():
        barrier.wait()
        statuses.append(session.post(url, data=data, allow_redirects=False).status_code)

    threads = [threading.Thread(target=send) for _ in range(times)]
    for thread in threads:
        thread.start()
    barrier.wait()
    if while_started is not None:
        while_started()
    for thread in threads:
        thread.join()
    return statuses


@contextmanager
def held_completion(user, lesson):
    """On PostgreSQL, hold an uncommitted completion of ``lesson`` in a transaction
    of its own, so that requests that complete it wait at their insert; yield the
    function that releases them once ``waiting`` requests are held there.

    Both requests then find no row, insert, and race for the unique constraint,
    which is the race the service must win quietly. SQLite lets one writer in at a
    time, so there the requests simply follow each other.
    """
    if db.engine.dialect.name != "postgresql":
        yield lambda waiting: None
        return

    with db.engine.connect() as gate:
        gate.execute(
            LessonCompletion.__table__.insert().values(
                user_id=user.id, lesson_id=lesson.id, lesson_version=1
            )
        )

        def release(waiting):
            for _ in range(2000):
                with db.engine.connect() as probe:
                    held = probe.scalar(
                        text(
                            "SELECT count(*) FROM pg_stat_activity WHERE"
                            " datname = current_database() AND wait_event_type = 'Lock'"
                        )
                    )
                if held >= waiting:
                    break
                time.sleep(0.01)
            else:
                pytest.fail("the requests never reached the insert")
            gate.rollback()

        yield release


def test_two_simultaneous_done_clicks_make_one_row(live_server, curriculum, learner):
    """Both clicks get the next page, one row is written, nobody sees an error."""
    lesson = lessons_of(curriculum[0])[0]
    session = _logged_in_session(live_server, learner)

    with held_completion(learner, lesson) as release:
        statuses = _at_once(
            session,
            f"{live_server}/learn/first/{lesson.key}/",
            {},
            2,
            while_started=lambda: release(waiting=2),
        )

    assert statuses == [303, 303]
    # End this session's read transaction, whose snapshot predates the requests.
    db.session.rollback()
    assert count(LessonCompletion) == 1


def test_simultaneous_submissions_keep_to_the_attempt_limit(live_server, learner, now):
    module = add_module("limited", position=1, max_attempts=1)
    session = _logged_in_session(live_server, learner)

    statuses = _at_once(
        session,
        f"{live_server}/learn/limited/quiz",
        quiz_form(wrong_choices(module)),
        3,
    )

    assert statuses == [303, 303, 303]
    db.session.rollback()
    assert count(QuizAttempt) == 1


# --- Quizzes ------------------------------------------------------------------------


@pytest.mark.parametrize(("pass_mark", "passed"), [(50, True), (51, False)])
def test_the_score_is_questions_right_over_questions_asked(
    learner, now, pass_mark, passed
):
    """A multiple-answer question counts only when exactly the right set is chosen."""
    module = add_module("only", position=1, questions=2, pass_mark=pass_mark)
    single, multiple = current_questions(module)

    result = services.submit_quiz(
        learner, module, {single.key: [1], multiple.key: [1]}, now=now
    )

    assert (result.attempt.correct, result.attempt.asked) == (1, 2)
    assert result.attempt.passed is passed
    assert [item.is_right for item in result.questions] == [True, False]
    assert result.questions[1].missed == {2}


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ({"only-question-1": [1]}, "Choose an answer to this question."),
        ({"only-question-1": [1], "only-question-2": [7]}, "Choose among the answers"),
        ({"only-question-1": [1, 2], "only-question-2": [1]}, "Choose only one answer"),
        (
            {"only-question-1": ["x"], "only-question-2": [1]},
            "Choose among the answers",
        ),
    ],
)
def test_bad_answers_are_named_and_write_nothing(browser, choices, message):
    add_module("only", position=1, questions=2)

    response = browser.post("/learn/only/quiz", data=quiz_form(choices))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert (
        'id="question-only-question-1-1" name="question-only-question-1" value="1"'
        in page
    )
    assert count(QuizAttempt) == 0


def test_answers_kept_when_the_form_comes_back(browser):
    add_module("only", position=1, questions=2)

    page = browser.post(
        "/learn/only/quiz", data=quiz_form({"only-question-2": [1, 2]})
    ).get_data(as_text=True)

    assert re.search(r'id="question-only-question-2-1"[^>]*checked', page)
    assert re.search(r'id="question-only-question-2-2"[^>]*checked', page)
    assert not re.search(r'id="question-only-question-2-3"[^>]*checked', page)


def test_the_quiz_page_does_not_depend_on_the_right_answers(browser):
    """Nothing on the page before sending tells which answers are right."""
    module = add_module("only", position=1, questions=2)
    before = browser.get("/learn/only/quiz").get_data(as_text=True)

    for question in current_questions(module):
        for answer in question.answers:
            answer.correct = not answer.correct
    db.session.commit()
    after = browser.get("/learn/only/quiz").get_data(as_text=True)

    assert before == after


def test_the_result_explains_each_wrong_answer(browser):
    module = add_module("only", position=1, questions=2)
    response = browser.post("/learn/only/quiz", data=quiz_form(wrong_choices(module)))

    page = browser.get(response.headers["Location"]).get_data(as_text=True)

    assert "Not passed yet" in page
    assert "0 of 2 questions right" in page
    assert page.count("✗ not right") == 2
    assert page.count("Your answer — not right") == 2
    assert "The right answer" in page
    assert "A right answer you did not choose" in page
    for question in current_questions(module):
        assert question.explanation in page
        assert f'href="#result-{question.key}"' in page


def test_a_passed_quiz_is_closed(browser, learner, now):
    module = add_module("only", position=1)
    services.submit_quiz(learner, module, right_choices(module), now=now)
    db.session.commit()

    page = browser.get("/learn/only/quiz").get_data(as_text=True)
    response = browser.post("/learn/only/quiz", data=quiz_form(right_choices(module)))

    assert "You have passed this quiz with 100 %." in page
    assert '<form class="quiz"' not in page
    assert response.status_code == 303
    assert count(QuizAttempt) == 1
    with pytest.raises(LearningRefused, match="passed"):
        services.submit_quiz(learner, module, right_choices(module), now=now)


def test_the_attempt_limit_holds(browser, learner, now):
    module = add_module("limited", position=1, max_attempts=2)
    for _ in range(2):
        response = browser.post(
            "/learn/limited/quiz", data=quiz_form(wrong_choices(module))
        )
        assert response.status_code == 303

    refused = browser.post("/learn/limited/quiz", data=quiz_form(right_choices(module)))
    page = browser.get("/learn/limited/quiz").get_data(as_text=True)

    assert refused.status_code == 303
    assert count(QuizAttempt) == 2
    assert "You have used every attempt at this quiz." in page
    assert not module_progress(learner, module).is_complete
    with pytest.raises(LearningRefused, match="no-attempts-left"):
        services.submit_quiz(learner, module, right_choices(module), now=now)


def test_attempts_left_are_shown(browser):
    module = add_module("limited", position=1, max_attempts=3)
    browser.post("/learn/limited/quiz", data=quiz_form(wrong_choices(module)))

    page = browser.get("/learn/limited/quiz").get_data(as_text=True)

    assert "This is attempt 2 of 3." in page


def test_another_learners_attempt_is_not_found(browser, make_user, now):
    module = add_module("only", position=1)
    other = make_user()
    result = services.submit_quiz(other, module, wrong_choices(module), now=now)
    db.session.commit()

    response = browser.get(f"/learn/only/quiz/{result.attempt.id}")

    assert response.status_code == 404


# --- Completing modules and prerequisites -------------------------------------------


@pytest.mark.parametrize("quiz_first", [False, True])
def test_a_module_completes_with_its_lessons_and_quiz(learner, now, quiz_first):
    """Every required lesson and a passed quiz, in either order; optional lessons
    are not needed."""
    module = add_module("only", position=1, lessons=2, optional_lessons=1)
    lessons = lessons_of(module)[:2]
    results = []
    if quiz_first:
        results.append(
            services.submit_quiz(learner, module, right_choices(module), now=now)
        )
    results += [
        services.complete_lesson(learner, lesson, now=now) for lesson in lessons
    ]
    if not quiz_first:
        results.append(
            services.submit_quiz(learner, module, right_choices(module), now=now)
        )
    db.session.commit()

    assert [result.module_completion is not None for result in results] == [
        False,
        False,
        True,
    ]
    assert count(ModuleCompletion) == 1
    assert module_progress(learner, module).percent == 100


@pytest.mark.parametrize(
    ("lessons", "optional_lessons", "questions"), [(0, 2, 2), (2, 0, 0), (0, 0, 2)]
)
def test_a_module_without_required_lessons_or_quiz_never_completes(
    learner, now, lessons, optional_lessons, questions
):
    module = add_module(
        "only",
        position=1,
        lessons=lessons,
        optional_lessons=optional_lessons,
        questions=questions,
    )
    for lesson in lessons_of(module):
        services.complete_lesson(learner, lesson, now=now)
    if questions:
        services.submit_quiz(learner, module, right_choices(module), now=now)
    db.session.commit()

    progress = module_progress(learner, module)
    assert not progress.is_complete
    assert count(ModuleCompletion) == 0
    assert services.issue_certificate_if_earned(learner, now=now) is None


def test_a_locked_module_says_what_opens_it(browser, curriculum):
    page = browser.get("/learn/second/").get_data(as_text=True)

    assert "This module opens once you have completed:" in page
    assert 'href="/learn/first/"' in page
    assert 'href="/learn/second/second-lesson-1/"' not in page


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/learn/second/second-lesson-1/"),
        ("post", "/learn/second/second-lesson-1/"),
        ("get", "/learn/second/quiz"),
        ("post", "/learn/second/quiz"),
    ],
)
def test_locked_lessons_and_quizzes_are_refused(browser, curriculum, method, url):
    second = curriculum[1]
    data = quiz_form(right_choices(second)) if method == "post" else None

    response = getattr(browser, method)(url, data=data)

    assert response.status_code == 403
    assert 'href="/learn/first/"' in response.get_data(as_text=True)
    assert count(LessonCompletion) == count(QuizAttempt) == 0


def test_completing_a_module_opens_the_next(curriculum, learner, now):
    first, second = curriculum
    with pytest.raises(LearningRefused, match="locked"):
        services.complete_lesson(learner, lessons_of(second)[0], now=now)
    db.session.rollback()

    finish_module(learner, first, now)

    assert not module_progress(learner, second).is_locked
    services.complete_lesson(learner, lessons_of(second)[0], now=now)


def test_a_lesson_added_after_completion_is_new_material(
    browser, curriculum, learner, now
):
    """The completion and the certificate stand; the module shows the new lesson."""
    first, second = curriculum
    finish_module(learner, first, now)
    finish_module(learner, second, now)
    certificate = services.progress_of(learner).certificate
    assert certificate is not None

    added = add_lesson(first, 9, key="first-new-lesson", title="What changed this year")
    first.version += 1
    db.session.commit()

    progress = module_progress(learner, first)
    assert progress.is_complete and progress.has_new_material
    assert progress.completion.module_version == 1
    assert services.progress_of(learner).certificate.id == certificate.id
    assert services.progress_of(learner).certificate.revoked_at is None
    module_page = browser.get("/learn/first/").get_data(as_text=True)
    assert "New material has been added since." in module_page
    dashboard = browser.get("/learn/").get_data(as_text=True)
    assert "Completed · new material" in dashboard
    assert 'href="/learn/first/first-new-lesson/"' in dashboard

    services.complete_lesson(learner, added, now=now)
    db.session.commit()
    assert not module_progress(learner, first).has_new_material
    assert count(ModuleCompletion) == 2
    assert count(Certificate) == 1


# --- Certificates -------------------------------------------------------------------


def test_finishing_the_last_module_issues_one_certificate(curriculum, learner, now):
    first, second = curriculum
    finish_module(learner, first, now)
    assert services.progress_of(learner).certificate is None

    finish_module(learner, second, now)
    certificate = services.progress_of(learner).certificate

    assert certificate.name == "Ana Learner"
    assert certificate.curriculum_title == "TraffickFree Communities Leader Training"
    assert re.fullmatch(r"[A-Za-z0-9_-]{12}", certificate.code)
    assert services.issue_certificate_if_earned(learner, now=now) is None
    assert count(Certificate) == 1


@pytest.mark.parametrize("role", ["learner", "organiser", "admin"])
def test_no_certificate_without_every_module(
    curriculum, make_user, make_community, login, app, now, role
):
    """Every lesson done but one quiz not passed: nobody gets a certificate."""
    first, second = curriculum
    community = make_community()
    person = make_user(
        is_admin=role == "admin", organises=[community] if role == "organiser" else ()
    )
    finish_module(person, first, now)
    for lesson in lessons_of(second):
        services.complete_lesson(person, lesson, now=now)
    db.session.commit()
    client = app.test_client()
    login(client, person)

    response = client.post("/learn/certificate")

    assert response.status_code == 303
    assert services.issue_certificate_if_earned(person, now=now) is None
    assert count(Certificate) == 0
    assert "Finish every module first." in client.get("/learn/certificate").get_data(
        as_text=True
    )


def test_an_empty_curriculum_earns_nothing(learner, now):
    assert services.issue_certificate_if_earned(learner, now=now) is None


def test_a_taken_code_is_replaced(curriculum, learner, make_user, now, monkeypatch):
    holder = make_user()
    db.session.add(
        Certificate(
            user_id=holder.id, code="taken-code", name="Holder", curriculum_title="T"
        )
    )
    db.session.commit()
    codes = iter(["taken-code", "fresh-code-1"])
    monkeypatch.setattr(services, "new_certificate_code", lambda: next(codes))

    for module in curriculum:
        finish_module(learner, module, now)

    assert services.progress_of(learner).certificate.code == "fresh-code-1"


def test_a_revoked_certificate_is_not_issued_again(curriculum, learner, make_user, now):
    admin = make_user(is_admin=True)
    for module in curriculum:
        finish_module(learner, module, now)
    certificate = services.progress_of(learner).certificate

    assert services.revoke_certificate(certificate, "Issued by mistake", admin, now=now)
    assert not services.revoke_certificate(certificate, "Again", admin, now=now)
    db.session.commit()

    assert services.issue_certificate_if_earned(learner, now=now) is None
    assert certificate.revoked_reason == "Issued by mistake"
    assert certificate.revoked_by_id == admin.id


def test_the_certificate_page_is_printable(browser, curriculum, learner, now):
    for module in curriculum:
        finish_module(learner, module, now)
    code = services.progress_of(learner).certificate.code

    page = browser.get("/learn/certificate").get_data(as_text=True)

    assert "Ana Learner" in page
    assert code in page
    assert f"http://localhost/certificates/{code}" in page
    assert "certificate.css" in page


@pytest.fixture
def issued(curriculum, learner, now):
    for module in curriculum:
        finish_module(learner, module, now)
    return services.progress_of(learner).certificate


def test_anyone_can_verify_a_certificate(app, issued, learner):
    page = app.test_client().get(f"/certificates/{issued.code}").get_data(as_text=True)

    assert "This certificate is valid." in page
    assert "Ana Learner" in page
    assert "TraffickFree Communities Leader Training" in page
    assert learner.email not in page
    assert "Revoke" not in page


@pytest.mark.parametrize("code", ["unknown-code", "no%20such", "x" * 40])
def test_an_unknown_code_is_not_found(client, issued, code):
    response = client.get(f"/certificates/{code}")

    assert response.status_code == 404
    assert "No certificate has this code." in response.get_data(as_text=True)


def test_an_admin_revokes_with_a_reason_only_admins_see(app, issued, make_user, login):
    admin = make_user(is_admin=True)
    client = app.test_client()
    login(client, admin)

    response = client.post(
        f"/admin/certificates/{issued.code}/revoke",
        data={"reason": "Completed under another person's account"},
    )

    assert response.status_code == 303
    for viewer, shows_reason in ((client, True), (app.test_client(), False)):
        page = viewer.get(f"/certificates/{issued.code}").get_data(as_text=True)
        assert "This certificate has been revoked." in page
        assert ("under another person" in page) is shows_reason


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "Say why the certificate is revoked."), ("x" * 301, "Keep the reason under")],
)
def test_revoking_needs_a_reason(app, issued, make_user, login, reason, message):
    client = app.test_client()
    login(client, make_user(is_admin=True))

    response = client.post(
        f"/admin/certificates/{issued.code}/revoke", data={"reason": reason}
    )

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.refresh(issued)
    assert issued.revoked_at is None


# --- The dashboard and the training report ------------------------------------------


def test_the_dashboard_shows_progress_and_the_next_lesson(browser, curriculum):
    browser.post("/learn/first/first-lesson-1/")

    page = browser.get("/learn/").get_data(as_text=True)

    assert page.count("<progress") == 3
    assert "You have completed 0 of 2 modules." in page
    assert 'href="/learn/first/first-lesson-2/"' in page
    assert "Continue with this lesson" in page
    assert "1 of 3 steps done" in page
    assert "Opens after:" in page


def test_the_dashboard_shows_quiz_results(browser, learner, now):
    module = add_module("only", position=1, max_attempts=3)
    services.submit_quiz(learner, module, wrong_choices(module), now=now)
    db.session.commit()

    page = browser.get("/learn/").get_data(as_text=True)

    assert "Best quiz score so far 0 %." in page
    assert "2 attempts left." in page


def test_learn_is_in_the_menu_for_people_logged_in(browser, client):
    assert '<a href="/learn/"' in browser.get("/events/").get_data(as_text=True)


@pytest.fixture
def communities(make_community, make_user, curriculum, now):
    """Two communities with a member each, their organiser, and an admin."""
    home = make_community(name="Home TFC")
    away = make_community(name="Away TFC")
    people = {
        "home-member": make_user(name="=HYPERLINK(1)", member_of=[home]),
        "away-member": make_user(name="Away Member", member_of=[away]),
        "organiser": make_user(name="Home Organiser", organises=[home]),
        "loner": make_user(name="Lone Learner"),
        "admin": make_user(name="Staff", is_admin=True),
    }
    finish_module(people["home-member"], curriculum[0], now)
    return people


def test_organisers_see_their_own_communities(app, communities, login):
    client = app.test_client()
    login(client, communities["organiser"])

    page = client.get("/training/").get_data(as_text=True)

    assert "Home TFC" in page and "=HYPERLINK(1)" in page and "Home Organiser" in page
    assert "Away TFC" not in page and "Away Member" not in page
    assert "Lone Learner" not in page


def test_admins_see_everyone_by_community(app, communities, login):
    client = app.test_client()
    login(client, communities["admin"])

    page = client.get("/training/").get_data(as_text=True)

    for shown in ("Home TFC", "Away TFC", "Away Member", "People in no community"):
        assert shown in page
    assert page.index("Away TFC") < page.index("Home TFC")


def test_the_training_export(app, communities, login):
    client = app.test_client()
    login(client, communities["organiser"])

    response = client.get("/training/export.csv")

    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:5] == ["Community", "Name", "E-mail", "Role", "Modules completed"]
    by_name = {row[1]: row for row in rows[1:]}
    assert set(by_name) == {"'=HYPERLINK(1)", "Home Organiser"}
    member = by_name["'=HYPERLINK(1)"]
    assert member[4] == "1/2"
    assert member[5].startswith("completed ")
    assert member[6] == "0 %"


def test_a_revoked_certificate_is_not_shown_to_print(browser, issued, make_user, now):
    services.revoke_certificate(issued, "Issued in error", make_user(), now=now)
    db.session.commit()

    page = browser.get("/learn/certificate").get_data(as_text=True)

    assert "Your certificate was revoked on" in page
    assert issued.code not in page
    assert "Issued in error" not in page


def test_an_empty_curriculum_says_so(browser):
    page = browser.get("/learn/").get_data(as_text=True)

    assert "There are no training modules yet." in page
    assert "<progress" not in page
