"""Invented sign-ups that show how an event looks once its places are all taken.

They belong to the demonstration only, not to the sample file: the import format
carries events, never people.
"""

from ..registration.services import Applicant

#: The sample event with a small capacity that the demonstration fills.
FULL_EVENT_SLUG = "media-roundtable-reporting-on-trafficking"

#: Obviously invented people at ``example.org``, a domain that never receives mail.
#: There are more of them than the event has places, so that it always fills.
DEMO_APPLICANTS = tuple(
    Applicant(
        name=f"Demo Attendee {number}",
        email=f"demo-attendee-{number}@example.org",
        sector="media" if number % 2 else "faith-ngo",
        language="en",
        accessibility=None,
    )
    for number in range(1, 13)
)
