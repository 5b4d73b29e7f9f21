"""Every feature's models, imported together so the metadata holds the whole schema.

Alembic's autogenerate and the test fixtures read ``db.metadata``; importing this
module is what makes each table known to it.
"""

from .accounts.models import Membership, User  # noqa: F401
from .audit.models import AuditEntry  # noqa: F401
from .communities.models import Community, Sector  # noqa: F401
from .events.models import Event, EventLanguage, event_sector  # noqa: F401
from .indicators.models import (  # noqa: F401
    Milestone,
    MilestoneLanguage,
    OutsideMeeting,
    SurveyReceipt,
    SurveyResponse,
    milestone_sector,
    outside_meeting_sector,
)
from .learning.models import (  # noqa: F401
    Answer,
    Certificate,
    Lesson,
    LessonCompletion,
    Module,
    ModuleCompletion,
    Question,
    QuizAttempt,
    module_prerequisite,
)
from .mail.models import OutboxMessage  # noqa: F401
from .registration.models import ManageToken, Registration  # noqa: F401
