"""The training report as a CSV file, safe to open in a spreadsheet."""

import csv
import io

from flask_babel import gettext as _

from ..organise.export import safe_cell
from .services import CommunityTraining, Curriculum, ModuleProgress, network_day


def training_csv(curriculum: Curriculum, report: list[CommunityTraining]) -> str:
    """One line per person and community, with a column for each module.

    A module's cell holds "completed" and the day, or the percentage done so far, or
    "locked"; days are written as ISO dates so that spreadsheets sort them.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("Community"),
            _("Name"),
            _("E-mail"),
            _("Role"),
            _("Modules completed"),
            *[module.title for module in curriculum.modules],
            _("Certificate issued"),
            _("Certificate code"),
            _("Certificate status"),
        ]
    )
    for group in report:
        community = group.community.name if group.community else _("No community")
        for learner in group.learners:
            progress = learner.progress
            certificate = progress.certificate
            writer.writerow(
                safe_cell(value)
                for value in (
                    community,
                    learner.user.name,
                    learner.user.email,
                    _role(learner.role),
                    f"{progress.completed}/{len(progress.modules)}",
                    *[_module_cell(module) for module in progress.modules],
                    network_day(certificate.issued_at).isoformat()
                    if certificate
                    else "",
                    certificate.code if certificate else "",
                    _certificate_status(certificate),
                )
            )
    return buffer.getvalue()


def _role(role: str) -> str:
    return {"organiser": _("Organiser"), "member": _("Member")}.get(role, "")


def _module_cell(progress: ModuleProgress) -> str:
    if progress.is_complete:
        day = network_day(progress.completion.completed_at).isoformat()
        if progress.has_new_material:
            return _("completed %(day)s, new material", day=day)
        return _("completed %(day)s", day=day)
    if progress.is_locked:
        return _("locked")
    return f"{progress.percent} %"


def _certificate_status(certificate) -> str:
    if certificate is None:
        return ""
    return _("revoked") if certificate.revoked_at else _("valid")
