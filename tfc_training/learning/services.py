"""Learners' progress through the curriculum: lessons done, quizzes, completed modules
and the certificate.

Progress is read for one learner or for many at once in a fixed number of queries,
whatever the size of the curriculum. Every function that writes flushes but does not
commit; the caller commits once. Writers take the write lock first
(:func:`~tfc_training.database.begin_write`); rows that must exist only once (a
lesson done, a module completed, a valid certificate) are inserted inside a savepoint,
so that a request that loses a race quietly takes the row the other one wrote.
"""

import logging
import secrets
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..accounts.models import Membership, User
from ..communities.models import Community
from ..database import begin_write
from ..extensions import db
from .models import (
    Certificate,
    Lesson,
    LessonCompletion,
    Module,
    ModuleCompletion,
    Question,
    QuizAttempt,
    module_prerequisite,
)

logger = logging.getLogger(__name__)

#: Random bytes behind a certificate code: 9 bytes make 12 URL-safe characters,
#: short enough to type from paper and far too many to guess.
CERTIFICATE_CODE_BYTES = 9

#: Tries at a fresh certificate code before giving up; a clash is astronomically rare.
CERTIFICATE_CODE_TRIES = 5

#: The longest revocation reason kept.
REVOKE_REASON_MAX_LENGTH = 300


class LearningRefused(Exception):
    """The learner may not do this now; ``reason`` says why.

    One of ``locked`` (prerequisites not completed), ``archived`` (no longer in the
    curriculum), ``passed`` (the quiz is passed already), ``no-attempts-left`` or
    ``no-questions`` (the module has no quiz to take).
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- Reading progress ---------------------------------------------------------------


@dataclass
class Curriculum:
    """The current (not archived) modules with their lessons, prerequisites and the
    number of questions in each quiz."""

    modules: list[Module]
    lessons: dict[int, list[Lesson]]
    prerequisites: dict[int, list[int]]
    question_counts: dict[int, int]


def load_curriculum() -> Curriculum:
    """Read the current curriculum in four queries."""
    modules = list(
        db.session.scalars(
            select(Module)
            .where(Module.archived_at.is_(None))
            .order_by(Module.position, Module.id)
        )
    )
    module_ids = [module.id for module in modules]

    lessons: dict[int, list[Lesson]] = {module_id: [] for module_id in module_ids}
    prerequisites: dict[int, list[int]] = {module_id: [] for module_id in module_ids}
    question_counts: dict[int, int] = dict.fromkeys(module_ids, 0)
    if not modules:
        return Curriculum(modules, lessons, prerequisites, question_counts)

    for lesson in db.session.scalars(
        select(Lesson)
        .where(Lesson.module_id.in_(module_ids), Lesson.archived_at.is_(None))
        .order_by(Lesson.module_id, Lesson.position, Lesson.id)
    ):
        lessons[lesson.module_id].append(lesson)

    for module_id, required_id in db.session.execute(
        select(
            module_prerequisite.c.module_id, module_prerequisite.c.required_id
        ).where(module_prerequisite.c.module_id.in_(module_ids))
    ):
        prerequisites[module_id].append(required_id)

    for module_id, count in db.session.execute(
        select(Question.module_id, func.count())
        .where(Question.module_id.in_(module_ids), Question.archived_at.is_(None))
        .group_by(Question.module_id)
    ):
        question_counts[module_id] = count

    return Curriculum(modules, lessons, prerequisites, question_counts)


@dataclass
class ModuleProgress:
    """Where one learner stands in one module."""

    module: Module
    #: The module's current lessons, in order.
    lessons: list[Lesson]
    #: The learner's completions of those lessons, by lesson id.
    done: dict[int, LessonCompletion]
    #: Questions in the quiz now.
    question_count: int
    #: The learner's quiz attempts, oldest first.
    attempts: list[QuizAttempt]
    completion: ModuleCompletion | None
    #: Current modules that must be completed before this one opens.
    waiting_for: list[Module]

    @property
    def required_lessons(self) -> list[Lesson]:
        return [lesson for lesson in self.lessons if lesson.required]

    @property
    def required_done(self) -> int:
        return sum(1 for lesson in self.required_lessons if lesson.id in self.done)

    @property
    def is_complete(self) -> bool:
        """A completion was recorded; it stands when lessons are added later."""
        return self.completion is not None

    @property
    def is_locked(self) -> bool:
        return not self.is_complete and bool(self.waiting_for)

    @property
    def has_new_material(self) -> bool:
        """Completed, but required lessons were added (or changed to required) since."""
        return self.is_complete and self.required_done < len(self.required_lessons)

    @property
    def quiz_passed(self) -> bool:
        return any(attempt.passed for attempt in self.attempts)

    @property
    def best_attempt(self) -> QuizAttempt | None:
        """The attempt with the highest score, the earliest of equals."""
        best = None
        for attempt in self.attempts:
            if best is None or _fraction(attempt) > _fraction(best):
                best = attempt
        return best

    @property
    def last_attempt(self) -> QuizAttempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def attempts_left(self) -> int | None:
        """Attempts the learner may still make; ``None`` means no limit."""
        if self.module.max_attempts is None:
            return None
        return max(0, self.module.max_attempts - len(self.attempts))

    @property
    def can_take_quiz(self) -> bool:
        return (
            not self.is_locked
            and self.question_count > 0
            and not self.quiz_passed
            and self.attempts_left != 0
        )

    @property
    def out_of_attempts(self) -> bool:
        return not self.quiz_passed and self.attempts_left == 0

    @property
    def steps(self) -> int:
        """What counts towards completion: each required lesson, and the quiz."""
        return len(self.required_lessons) + (1 if self.question_count else 0)

    @property
    def steps_done(self) -> int:
        passed = 1 if self.question_count and self.quiz_passed else 0
        return self.required_done + passed

    @property
    def percent(self) -> int:
        """Progress as a whole percentage, never above 100."""
        if self.steps == 0:
            return 100 if self.is_complete else 0
        return min(100, self.steps_done * 100 // self.steps)

    @property
    def next_lesson(self) -> Lesson | None:
        """The first required lesson not done yet."""
        for lesson in self.required_lessons:
            if lesson.id not in self.done:
                return lesson
        return None

    @property
    def is_started(self) -> bool:
        return bool(self.done or self.attempts or self.completion)

    @property
    def status(self) -> str:
        """``complete``, ``new-material``, ``locked``, ``in-progress`` or ``not-started``."""
        if self.has_new_material:
            return "new-material"
        if self.is_complete:
            return "complete"
        if self.is_locked:
            return "locked"
        return "in-progress" if self.is_started else "not-started"

    def neighbours(self, lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
        """The lessons before and after ``lesson`` in the module."""
        ids = [item.id for item in self.lessons]
        index = ids.index(lesson.id)
        before = self.lessons[index - 1] if index > 0 else None
        after = self.lessons[index + 1] if index + 1 < len(self.lessons) else None
        return before, after


@dataclass
class NextStep:
    """What the learner should do next: read a lesson, take a quiz, ask for help
    (``stuck``: out of attempts), or collect the certificate."""

    kind: str
    module: ModuleProgress | None = None
    lesson: Lesson | None = None


@dataclass
class CurriculumProgress:
    """Where one learner stands in the whole curriculum."""

    modules: list[ModuleProgress]
    #: The learner's certificates, newest first.
    certificates: list[Certificate] = field(default_factory=list)

    @property
    def completed(self) -> int:
        return sum(1 for progress in self.modules if progress.is_complete)

    @property
    def percent(self) -> int:
        steps = sum(progress.steps for progress in self.modules)
        if steps == 0:
            return 0
        done = sum(
            min(progress.steps_done, progress.steps) for progress in self.modules
        )
        return min(100, done * 100 // steps)

    @property
    def is_complete(self) -> bool:
        """Every current module completed; an empty curriculum is never complete."""
        return bool(self.modules) and self.completed == len(self.modules)

    @property
    def certificate(self) -> Certificate | None:
        """The valid certificate, or else the newest revoked one."""
        for certificate in self.certificates:
            if certificate.revoked_at is None:
                return certificate
        return self.certificates[0] if self.certificates else None

    def module(self, module_id: int) -> ModuleProgress:
        for progress in self.modules:
            if progress.module.id == module_id:
                return progress
        raise LookupError(f"module {module_id} is not in the current curriculum")

    @property
    def next_step(self) -> NextStep:
        """The first thing left to do, in curriculum order."""
        for progress in self.modules:
            if progress.is_locked or (
                progress.is_complete and not progress.has_new_material
            ):
                continue
            lesson = progress.next_lesson
            if lesson is not None:
                return NextStep("lesson", progress, lesson)
            if progress.can_take_quiz:
                return NextStep("quiz", progress)
            if progress.out_of_attempts and not progress.is_complete:
                return NextStep("stuck", progress)
        if self.is_complete:
            return NextStep("certificate")
        return NextStep("nothing")


def progress_of(user: User, curriculum: Curriculum | None = None) -> CurriculumProgress:
    """One learner's progress in the curriculum, in a fixed number of queries."""
    return progress_of_people([user.id], curriculum)[user.id]


def progress_of_people(
    user_ids: Iterable[int], curriculum: Curriculum | None = None
) -> dict[int, CurriculumProgress]:
    """The progress of many learners, in the same fixed number of queries as one."""
    user_ids = sorted(set(user_ids))
    curriculum = curriculum or load_curriculum()
    if not user_ids:
        return {}

    module_ids = [module.id for module in curriculum.modules]
    done: dict[tuple[int, int], dict[int, LessonCompletion]] = defaultdict(dict)
    attempts: dict[tuple[int, int], list[QuizAttempt]] = defaultdict(list)
    completions: dict[tuple[int, int], ModuleCompletion] = {}
    certificates: dict[int, list[Certificate]] = defaultdict(list)

    if module_ids:
        # Completions of archived lessons stay in the table but count for nothing.
        rows = db.session.execute(
            select(LessonCompletion, Lesson.module_id)
            .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
            .where(
                LessonCompletion.user_id.in_(user_ids),
                Lesson.module_id.in_(module_ids),
                Lesson.archived_at.is_(None),
            )
        )
        for completion, module_id in rows:
            done[(completion.user_id, module_id)][completion.lesson_id] = completion

        for attempt in db.session.scalars(
            select(QuizAttempt)
            .where(
                QuizAttempt.user_id.in_(user_ids),
                QuizAttempt.module_id.in_(module_ids),
            )
            .order_by(QuizAttempt.submitted_at, QuizAttempt.id)
        ):
            attempts[(attempt.user_id, attempt.module_id)].append(attempt)

        for completion in db.session.scalars(
            select(ModuleCompletion).where(
                ModuleCompletion.user_id.in_(user_ids),
                ModuleCompletion.module_id.in_(module_ids),
            )
        ):
            completions[(completion.user_id, completion.module_id)] = completion

    for certificate in db.session.scalars(
        select(Certificate)
        .where(Certificate.user_id.in_(user_ids))
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    ):
        certificates[certificate.user_id].append(certificate)

    modules_by_id = {module.id: module for module in curriculum.modules}
    result = {}
    for user_id in user_ids:
        modules = []
        for module in curriculum.modules:
            key = (user_id, module.id)
            waiting_for = [
                modules_by_id[required_id]
                for required_id in curriculum.prerequisites[module.id]
                if required_id in modules_by_id
                and (user_id, required_id) not in completions
            ]
            waiting_for.sort(key=lambda required: (required.position, required.id))
            modules.append(
                ModuleProgress(
                    module=module,
                    lessons=curriculum.lessons[module.id],
                    done=done.get(key, {}),
                    question_count=curriculum.question_counts[module.id],
                    attempts=attempts.get(key, []),
                    completion=completions.get(key),
                    waiting_for=waiting_for,
                )
            )
        result[user_id] = CurriculumProgress(modules, certificates.get(user_id, []))
    return result


def current_module(key: str) -> Module | None:
    """The module with this key, unless it is archived."""
    return db.session.scalar(
        select(Module).where(Module.key == key, Module.archived_at.is_(None))
    )


def current_lesson(module: Module, key: str) -> Lesson | None:
    """The lesson of ``module`` with this key, unless it is archived."""
    return db.session.scalar(
        select(Lesson).where(
            Lesson.module_id == module.id,
            Lesson.key == key,
            Lesson.archived_at.is_(None),
        )
    )


def quiz_questions(module: Module) -> list[Question]:
    """The module's current questions with their answers, in order."""
    return list(
        db.session.scalars(
            select(Question)
            .where(Question.module_id == module.id, Question.archived_at.is_(None))
            .options(selectinload(Question.answers))
            .order_by(Question.position, Question.id)
        )
    )


def _fraction(attempt: QuizAttempt) -> float:
    return attempt.correct / attempt.asked if attempt.asked else 0.0


def network_day(moment: datetime) -> date:
    """The day an instant fell on in the network's own zone, as progress dates show."""
    return moment.astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])).date()


def score_percent(attempt: QuizAttempt) -> int:
    """The attempt's score as a whole percentage, rounded down."""
    return attempt.correct * 100 // attempt.asked if attempt.asked else 0


# --- Lessons ------------------------------------------------------------------------


@dataclass
class LessonDone:
    """What marking a lesson done led to.

    ``created`` is false when the lesson was already done (a second click, or two
    at once); ``module_completion`` and ``certificate`` are set only when this very
    call recorded them.
    """

    completion: LessonCompletion
    created: bool
    module_completion: ModuleCompletion | None = None
    certificate: Certificate | None = None


def complete_lesson(user: User, lesson: Lesson, *, now: datetime) -> LessonDone:
    """Mark ``lesson`` done for ``user``, once, and record what that completes.

    Doing it again returns the row written the first time. Two requests at the same
    moment write one row: the one that loses the race finds the other's row.

    :raise LearningRefused: ``archived`` for a lesson or module no longer current,
        ``locked`` while the module's prerequisites are not completed.
    """
    begin_write()
    module = lesson.module
    if lesson.archived_at is not None or module.archived_at is not None:
        raise LearningRefused("archived")
    if progress_of(user).module(module.id).is_locked:
        raise LearningRefused("locked")

    completion = _lesson_completion(user.id, lesson.id)
    created = completion is None
    if created:
        completion = LessonCompletion(
            user_id=user.id,
            lesson_id=lesson.id,
            lesson_version=lesson.version,
            completed_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(completion)
        except IntegrityError:
            completion = _lesson_completion(user.id, lesson.id)
            if completion is None:
                raise
            created = False
            logger.info(
                "account %s completed lesson %s in two requests at once",
                user.id,
                lesson.id,
            )
    if created:
        logger.info("account %s completed lesson %s", user.id, lesson.id)

    module_completion = _complete_module_if_earned(user, module, now=now)
    certificate = (
        issue_certificate_if_earned(user, now=now) if module_completion else None
    )
    return LessonDone(completion, created, module_completion, certificate)


def _lesson_completion(user_id: int, lesson_id: int) -> LessonCompletion | None:
    return db.session.scalar(
        select(LessonCompletion).where(
            LessonCompletion.user_id == user_id,
            LessonCompletion.lesson_id == lesson_id,
        )
    )


# --- Quizzes ------------------------------------------------------------------------


@dataclass
class QuestionResult:
    """One question of a submitted quiz: what was chosen and what is right."""

    question: Question
    chosen: frozenset[int]
    correct: frozenset[int]

    @property
    def is_right(self) -> bool:
        return self.chosen == self.correct

    @property
    def missed(self) -> frozenset[int]:
        return self.correct - self.chosen


@dataclass
class QuizResult:
    """A submitted quiz, question by question.

    ``module_completion`` and ``certificate`` are set only when the submission that
    made this result recorded them.
    """

    attempt: QuizAttempt
    questions: list[QuestionResult]
    module_completion: ModuleCompletion | None = None
    certificate: Certificate | None = None

    @property
    def wrong(self) -> list[QuestionResult]:
        return [result for result in self.questions if not result.is_right]


def check_choices(
    questions: list[Question], choices: Mapping[str, Collection[int]]
) -> dict[str, str]:
    """Problems with a learner's choices, by question key; empty when all is well.

    Every question needs an answer, a single-answer question exactly one, and each
    answer must be one the question offers.
    """
    problems = {}
    for question in questions:
        chosen = set(choices.get(question.key, ()))
        offered = {answer.position for answer in question.answers}
        if not chosen:
            problems[question.key] = _("Choose an answer to this question.")
        elif not chosen <= offered:
            problems[question.key] = _("Choose among the answers shown.")
        elif question.kind == "single" and len(chosen) > 1:
            problems[question.key] = _("Choose only one answer to this question.")
    return problems


def submit_quiz(
    user: User, module: Module, choices: Mapping[str, Collection[int]], *, now: datetime
) -> QuizResult:
    """Score the learner's choices on the server and record the attempt.

    The score is the questions answered exactly right over the questions asked. The
    learner's row is locked while the attempts are counted, so that two submissions
    at once can never exceed the module's limit.

    :raise LearningRefused: when the module is archived or locked, has no questions,
        is passed already, or its attempts are used up.
    :raise ValueError: when the choices do not pass :func:`check_choices`.
    """
    begin_write()
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    if module.archived_at is not None:
        raise LearningRefused("archived")

    progress = progress_of(user).module(module.id)
    if progress.is_locked:
        raise LearningRefused("locked")
    if progress.question_count == 0:
        raise LearningRefused("no-questions")
    if progress.quiz_passed:
        raise LearningRefused("passed")
    if progress.attempts_left == 0:
        raise LearningRefused("no-attempts-left")

    questions = quiz_questions(module)
    if check_choices(questions, choices):
        raise ValueError("the choices do not answer the quiz")

    results = [
        QuestionResult(
            question=question,
            chosen=frozenset(choices[question.key]),
            correct=frozenset(a.position for a in question.answers if a.correct),
        )
        for question in questions
    ]
    correct = sum(1 for result in results if result.is_right)
    attempt = QuizAttempt(
        user_id=user.id,
        module_id=module.id,
        module_version=module.version,
        asked=len(results),
        correct=correct,
        passed=correct * 100 >= module.pass_mark * len(results),
        choices={result.question.key: sorted(result.chosen) for result in results},
        submitted_at=now,
    )
    db.session.add(attempt)
    db.session.flush()
    logger.info(
        "account %s submitted quiz of module %s: %s of %s right",
        user.id,
        module.id,
        correct,
        len(results),
    )

    quiz_result = QuizResult(attempt, results)
    if attempt.passed:
        quiz_result.module_completion = _complete_module_if_earned(
            user, module, now=now
        )
    if quiz_result.module_completion is not None:
        quiz_result.certificate = issue_certificate_if_earned(user, now=now)
    return quiz_result


def review_attempt(attempt: QuizAttempt) -> QuizResult:
    """An attempt read back, question by question, against the questions as they are.

    Questions archived since are still shown; those no longer stored are left out.
    """
    chosen = attempt.choices or {}
    questions = []
    if chosen:
        questions = db.session.scalars(
            select(Question)
            .where(Question.module_id == attempt.module_id, Question.key.in_(chosen))
            .options(selectinload(Question.answers))
            .order_by(Question.position, Question.id)
        ).all()

    results = [
        QuestionResult(
            question=question,
            chosen=frozenset(chosen.get(question.key) or ()),
            correct=frozenset(a.position for a in question.answers if a.correct),
        )
        for question in questions
    ]
    return QuizResult(attempt, results)


# --- Completing modules -------------------------------------------------------------


def _complete_module_if_earned(
    user: User, module: Module, *, now: datetime
) -> ModuleCompletion | None:
    """Record the module as completed if it now is; return the row only if new.

    A module needs at least one current required lesson and a quiz with questions:
    one without either can never be completed by accident.
    """
    progress = progress_of(user).module(module.id)
    if progress.is_complete:
        return None
    if not progress.required_lessons or progress.question_count == 0:
        return None
    if progress.next_lesson is not None or not progress.quiz_passed:
        return None

    completion = ModuleCompletion(
        user_id=user.id,
        module_id=module.id,
        module_version=module.version,
        completed_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(completion)
    except IntegrityError:
        return None
    logger.info("account %s completed module %s", user.id, module.id)
    return completion


# --- Certificates -------------------------------------------------------------------


def issue_certificate_if_earned(user: User, *, now: datetime) -> Certificate | None:
    """Issue the learner's certificate once every current module is completed.

    Issued once only: nothing happens for a learner who holds a certificate, valid
    or revoked (a revoked one is not replaced by finishing again). Returns the new
    certificate, or ``None``. The same rules hold for every role.
    """
    begin_write()
    progress = progress_of(user)
    if progress.certificates or not progress.is_complete:
        return None

    for _try in range(CERTIFICATE_CODE_TRIES):
        certificate = Certificate(
            user_id=user.id,
            code=new_certificate_code(),
            name=user.name,
            curriculum_title=current_app.config["CURRICULUM_TITLE"],
            issued_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(certificate)
        except IntegrityError:
            # Either another request issued this learner's certificate first, or the
            # code was taken: only the second is worth another try.
            if _valid_certificate(user.id) is not None:
                return None
            continue
        logger.info("certificate %s issued to account %s", certificate.id, user.id)
        return certificate
    raise RuntimeError("could not find a free certificate code")


def new_certificate_code() -> str:
    """A random, URL-safe code for a certificate's public address."""
    return secrets.token_urlsafe(CERTIFICATE_CODE_BYTES)


def _valid_certificate(user_id: int) -> Certificate | None:
    return db.session.scalar(
        select(Certificate).where(
            Certificate.user_id == user_id, Certificate.revoked_at.is_(None)
        )
    )


def find_certificate(code: str) -> Certificate | None:
    """The certificate with this code, valid or revoked."""
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def revoke_certificate(
    certificate: Certificate, reason: str, by: User, *, now: datetime
) -> bool:
    """Revoke a certificate with a reason; say whether it was valid until now.

    Revoking twice keeps the first revocation.

    :raise ValueError: for an empty reason or one longer than
        :data:`REVOKE_REASON_MAX_LENGTH`.
    """
    reason = (reason or "").strip()
    if not reason or len(reason) > REVOKE_REASON_MAX_LENGTH:
        raise ValueError("a revocation needs a reason of 1 to 300 characters")

    begin_write()
    db.session.refresh(certificate, with_for_update=True)
    if certificate.revoked_at is not None:
        return False

    certificate.revoked_at = now
    certificate.revoked_reason = reason
    certificate.revoked_by_id = by.id
    db.session.flush()
    logger.info("certificate %s revoked by account %s", certificate.id, by.id)
    return True


# --- Organisers' and admins' view ---------------------------------------------------


@dataclass
class Learner:
    """A member of a community as the training report lists them."""

    user: User
    role: str
    progress: CurriculumProgress


@dataclass
class CommunityTraining:
    """The training progress of one community's members; ``community`` is ``None``
    for the people who belong to no community."""

    community: Community | None
    learners: list[Learner]


def training_report(viewer: User) -> tuple[Curriculum, list[CommunityTraining]]:
    """The progress of the members of every community ``viewer`` may see.

    Admins see every community and the people in none; organisers the communities
    they organise. Read in a fixed number of queries.
    """
    community_query = select(Community).order_by(Community.name, Community.id)
    if not viewer.is_admin:
        community_query = community_query.where(
            Community.id.in_(viewer.organised_community_ids)
        )
    communities = list(db.session.scalars(community_query))
    community_ids = [community.id for community in communities]

    memberships = []
    if community_ids:
        memberships = db.session.scalars(
            select(Membership)
            .where(Membership.community_id.in_(community_ids))
            .options(selectinload(Membership.user))
        ).all()

    loners: list[User] = []
    if viewer.is_admin:
        loners = list(
            db.session.scalars(
                select(User).where(~User.memberships.any()).order_by(User.name, User.id)
            )
        )

    curriculum = load_curriculum()
    user_ids = {m.user_id for m in memberships} | {user.id for user in loners}
    progress = progress_of_people(user_ids, curriculum)

    by_community: dict[int, list[Learner]] = defaultdict(list)
    for membership in memberships:
        by_community[membership.community_id].append(
            Learner(membership.user, membership.role, progress[membership.user_id])
        )
    report = []
    for community in communities:
        learners = by_community.get(community.id, [])
        learners.sort(
            key=lambda learner: (learner.user.name.casefold(), learner.user.id)
        )
        report.append(CommunityTraining(community, learners))
    if loners:
        report.append(
            CommunityTraining(
                None, [Learner(user, "", progress[user.id]) for user in loners]
            )
        )
    return curriculum, report
