"""Recording milestones and meetings held elsewhere, withdrawing them, and reading
their history."""

from datetime import date, timedelta

import pytest
from organise_support import build_site, count, field_errors, fresh, log_in
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tfc_training.extensions import db
from tfc_training.indicators import services
from tfc_training.indicators.models import Milestone, OutsideMeeting
from tfc_training.indicators.services import MilestoneValues, Refused, local_today
from tfc_training.reports.periods import half_year
from tfc_training.reports.queries import build_report

#: What a form says for a number that is not whole, such as 5.5 people.
WHOLE_NUMBER = "Write a whole number, such as 12."


@pytest.fixture
def site(make_community, make_user, make_event, now):
    return build_site(make_community, make_user, make_event, now)


@pytest.fixture
def organiser(client, site):
    return log_in(client, site.organiser)


def milestones_url(community):
    return f"/organise/communities/{community.slug}/milestones"


def meetings_url(community):
    return f"/organise/communities/{community.slug}/meetings"


def milestone_form(**changes):
    data = {
        "kind": "research-completed",
        "achieved_on": "2026-03-14",
        "note": "Mapped the bus routes and interviewed two shelters.",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def meeting_form(**changes):
    data = {
        "held_on": "2026-02-10",
        "people_present": "12",
        "sectors": ["schools", "law-enforcement"],
        "note": "Police and teachers on school-route safety.",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def records():
    db.session.rollback()
    return list(db.session.scalars(select(Milestone).order_by(Milestone.id)))


# --- Recording milestones --------------------------------------------------------


def test_organiser_records_a_milestone(organiser, site):
    response = organiser.post(milestones_url(site.home), data=milestone_form())

    assert response.status_code == 303
    [milestone] = records()
    assert milestone.community_id == site.home.id
    assert milestone.kind == "research-completed"
    assert milestone.achieved_on == date(2026, 3, 14)
    assert milestone.recorded_by_id == site.organiser.id
    assert milestone.withdrawn_at is None

    page = organiser.get(milestones_url(site.home)).get_data(as_text=True)
    assert "Research and discovery process completed" in page
    assert "Yes, since" in page
    assert "Mapped the bus routes" in page
    assert "Olivia Organiser" in page


def test_key_sectors_are_one_or_two(organiser, site):
    too_many = milestone_form(
        kind="key-sectors-chosen", sectors=["schools", "media", "consumers"]
    )
    response = organiser.post(milestones_url(site.home), data=too_many)

    assert response.status_code == 400
    assert "one or two key sectors" in field_errors(
        response.get_data(as_text=True), "sectors"
    )
    # What was typed is still there to correct.
    assert "Mapped the bus routes" in response.get_data(as_text=True)
    assert records() == []

    two = milestone_form(kind="key-sectors-chosen", sectors=["schools", "media"])
    assert organiser.post(milestones_url(site.home), data=two).status_code == 303
    [milestone] = records()
    assert [sector.slug for sector in milestone.sectors] == ["schools", "media"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"kind": "key-sectors-chosen"}, "sectors", "Choose the sectors"),
        (
            {"kind": "justice-responders-trained", "sectors": ["schools"]},
            "sectors",
            "law enforcement or first responders",
        ),
        ({"sectors": ["schools"]}, "sectors", "only for key sectors"),
        ({"kind": "recovery-resources-identified"}, "languages", "Choose the lang"),
        ({"languages": ["es"]}, "languages", "only for recovery resources"),
        ({"achieved_on": "2999-01-01"}, "achieved_on", "cannot be in the future"),
        ({"achieved_on": "1999-12-31"}, "achieved_on", "from 2000 on"),
        ({"achieved_on": ""}, "achieved_on", "Enter the day"),
        ({"achieved_on": "14/03/2026"}, "achieved_on", "as year-month-day"),
        ({"kind": "world-peace"}, "kind", "Choose one of the options offered."),
        ({"note": "x" * 2001}, "note", "at most 2000"),
    ],
)
def test_milestone_form_explains_what_is_wrong(
    organiser, site, changes, field, message
):
    response = organiser.post(milestones_url(site.home), data=milestone_form(**changes))

    assert response.status_code == 400
    assert message in field_errors(response.get_data(as_text=True), field)
    assert records() == []


def test_recovery_resources_keep_their_languages(organiser, site):
    data = milestone_form(kind="recovery-resources-identified", languages=["es", "ko"])

    assert organiser.post(milestones_url(site.home), data=data).status_code == 303

    [milestone] = records()
    assert milestone.language_codes == ["es", "ko"]
    page = organiser.get(milestones_url(site.home)).get_data(as_text=True)
    assert "Español" in page and "한국어" in page


def test_justice_training_names_its_sectors(organiser, site):
    data = milestone_form(
        kind="justice-responders-trained",
        sectors=["law-enforcement", "first-responders"],
    )

    assert organiser.post(milestones_url(site.home), data=data).status_code == 303

    [milestone] = records()
    assert [s.slug for s in milestone.sectors] == [
        "first-responders",
        "law-enforcement",
    ]


# --- Withdrawing -----------------------------------------------------------------


def test_withdrawn_milestone_stays_in_the_history(organiser, site):
    organiser.post(milestones_url(site.home), data=milestone_form())
    [milestone] = records()

    response = organiser.post(
        f"{milestones_url(site.home)}/{milestone.id}/withdraw", follow_redirects=True
    )

    page = response.get_data(as_text=True)
    assert "Withdrawn: Research and discovery process completed." in page
    withdrawn = fresh(Milestone, milestone.id)
    assert withdrawn.withdrawn_at is not None
    assert withdrawn.withdrawn_by_id == site.organiser.id
    assert 'class="is-withdrawn"' in page
    assert services.milestones_reached([site.home.id]) == {site.home.id: {}}


def test_withdrawing_twice_says_so(organiser, site):
    organiser.post(milestones_url(site.home), data=milestone_form())
    [milestone] = records()
    url = f"{milestones_url(site.home)}/{milestone.id}/withdraw"
    organiser.post(url)
    first = fresh(Milestone, milestone.id).withdrawn_at

    response = organiser.post(url, follow_redirects=True)

    assert "already withdrawn" in response.get_data(as_text=True)
    assert fresh(Milestone, milestone.id).withdrawn_at == first


def test_milestone_of_another_community_is_not_found(client, site, now):
    other = services.record_milestone(
        site.other,
        MilestoneValues(kind="research-completed", achieved_on=local_today(now)),
        actor=None,
        now=now,
    )
    db.session.commit()
    log_in(client, site.organiser)

    response = client.post(f"{milestones_url(site.home)}/{other.id}/withdraw")

    assert response.status_code == 404
    assert fresh(Milestone, other.id).withdrawn_at is None


def test_milestone_became_true_on_its_earliest_standing_record(site, now):
    def record(day, kind="research-completed"):
        return services.record_milestone(
            site.home, MilestoneValues(kind=kind, achieved_on=day), actor=None, now=now
        )

    early = record(date(2026, 1, 5))
    record(date(2026, 4, 1))
    record(date(2026, 2, 1), kind="survivor-referral-ready")
    services.withdraw_milestone(early, actor=None, now=now)
    db.session.commit()

    assert services.milestones_reached([site.home.id, site.other.id]) == {
        site.home.id: {
            "research-completed": date(2026, 4, 1),
            "survivor-referral-ready": date(2026, 2, 1),
        },
        site.other.id: {},
    }


def test_service_refuses_what_the_form_would(site, now):
    with pytest.raises(Refused) as refused:
        services.record_milestone(
            site.home,
            MilestoneValues(
                kind="key-sectors-chosen",
                achieved_on=local_today(now),
                sectors=["schools", "media", "consumers"],
            ),
            actor=None,
            now=now,
        )

    assert refused.value.field == "sectors"


def test_database_refuses_an_unknown_kind(site, now):
    db.session.add(
        Milestone(
            community_id=site.home.id, kind="world-peace", achieved_on=local_today(now)
        )
    )

    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


# --- The overview ----------------------------------------------------------------


def test_overview_lists_only_the_organisers_communities(organiser, site, now):
    services.record_milestone(
        site.home,
        MilestoneValues(kind="survivor-referral-ready", achieved_on=date(2026, 5, 2)),
        actor=None,
        now=now,
    )
    db.session.commit()

    page = organiser.get("/organise/indicators").get_data(as_text=True)

    assert "TraffickFree Koreatown" in page
    assert "TraffickFree Boyle Heights" not in page
    assert 'datetime="2026-05-02"' in page


def test_admin_sees_every_community(client, site):
    log_in(client, site.admin)

    page = client.get("/organise/indicators").get_data(as_text=True)

    assert "TraffickFree Koreatown" in page
    assert "TraffickFree Boyle Heights" in page


def test_admin_records_for_any_community(client, site):
    log_in(client, site.admin)

    response = client.post(milestones_url(site.other), data=milestone_form())

    assert response.status_code == 303
    assert [m.community_id for m in records()] == [site.other.id]


def test_other_organiser_cannot_record(client, site):
    log_in(client, site.other_organiser)

    response = client.post(milestones_url(site.home), data=milestone_form())

    assert response.status_code == 403
    assert records() == []


def test_unknown_community_is_not_found(organiser):
    assert organiser.get("/organise/communities/nowhere/milestones").status_code == 404


# --- Meetings held elsewhere -----------------------------------------------------


def test_organiser_records_a_meeting_held_elsewhere(organiser, site):
    response = organiser.post(meetings_url(site.home), data=meeting_form())

    assert response.status_code == 303
    [meeting] = db.session.scalars(select(OutsideMeeting)).all()
    assert meeting.community_id == site.home.id
    assert meeting.held_on == date(2026, 2, 10)
    assert meeting.people_present == 12
    assert [s.slug for s in meeting.sectors] == ["schools", "law-enforcement"]
    assert meeting.recorded_by_id == site.organiser.id

    page = organiser.get(meetings_url(site.home)).get_data(as_text=True)
    assert "school-route safety" in page
    assert "Law enforcement" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"sectors": ["schools"]}, "sectors", "two or more sectors"),
        ({"sectors": None}, "sectors", "two or more sectors"),
        ({"people_present": "0"}, "people_present", "from 1 to 10000"),
        ({"people_present": "many"}, "people_present", WHOLE_NUMBER),
        ({"people_present": "5.5"}, "people_present", WHOLE_NUMBER),
        ({"people_present": ""}, "people_present", "Enter how many"),
        ({"held_on": ""}, "held_on", "Enter the day"),
        ({"held_on": "2999-01-01"}, "held_on", "cannot be in the future"),
    ],
)
def test_meeting_form_explains_what_is_wrong(organiser, site, changes, field, message):
    response = organiser.post(meetings_url(site.home), data=meeting_form(**changes))

    assert response.status_code == 400
    assert message in field_errors(response.get_data(as_text=True), field)
    assert "school-route safety" in response.get_data(as_text=True)
    assert count(OutsideMeeting) == 0


def test_database_refuses_a_meeting_of_nobody(site, now):
    db.session.add(
        OutsideMeeting(
            community_id=site.home.id, held_on=local_today(now), people_present=0
        )
    )

    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_meetings_are_listed_latest_first(organiser, site):
    organiser.post(meetings_url(site.home), data=meeting_form(note="First one"))
    organiser.post(
        meetings_url(site.home),
        data=meeting_form(held_on="2026-03-01", note="Second one"),
    )

    page = organiser.get(meetings_url(site.home)).get_data(as_text=True)

    assert page.index("Second one") < page.index("First one")


def test_deleting_an_account_keeps_its_records(organiser, site):
    organiser.post(milestones_url(site.home), data=milestone_form())
    organiser.post(meetings_url(site.home), data=meeting_form())
    db.session.rollback()

    db.session.delete(db.session.get(type(site.organiser), site.organiser.id))
    db.session.commit()

    [milestone] = records()
    assert milestone.recorded_by_id is None
    assert count(OutsideMeeting) == 1
    log_in(organiser, site.admin)
    page = organiser.get(milestones_url(site.home)).get_data(as_text=True)
    assert "a former account" in page


def test_records_show_as_of_the_day_they_were_reached(site, now):
    """A milestone reached yesterday but recorded today counts from yesterday."""
    yesterday = local_today(now) - timedelta(days=1)
    services.record_milestone(
        site.home,
        MilestoneValues(kind="research-completed", achieved_on=yesterday),
        actor=None,
        now=now,
    )
    db.session.commit()

    reached = services.milestones_reached([site.home.id])[site.home.id]
    assert reached == {"research-completed": yesterday}


def meetings_outside_counted(site, community):
    """The meetings held elsewhere that the January–June 2026 report counts."""
    db.session.rollback()
    report = build_report(site.organiser, half_year(2026, 1))
    scope = next(scope for scope in report.scopes if scope.key == community.id)
    return report.figure(scope, "stakeholder-meetings-outside").value


def test_withdrawn_meeting_stays_listed_and_counts_for_nothing(organiser, site):
    organiser.post(meetings_url(site.home), data=meeting_form())
    [meeting] = db.session.scalars(select(OutsideMeeting)).all()
    assert meetings_outside_counted(site, site.home) == 1

    response = organiser.post(
        f"{meetings_url(site.home)}/{meeting.id}/withdraw", follow_redirects=True
    )

    page = response.get_data(as_text=True)
    assert "Withdrawn: the meeting of Tuesday, February 10, 2026." in page
    withdrawn = fresh(OutsideMeeting, meeting.id)
    assert withdrawn.withdrawn_at is not None
    assert withdrawn.withdrawn_by_id == site.organiser.id
    assert [s.slug for s in withdrawn.sectors] == ["schools", "law-enforcement"]
    assert 'class="is-withdrawn"' in page
    assert "school-route safety" in page
    assert "Olivia Organiser" in page
    assert meetings_outside_counted(site, site.home) == 0


def test_meetings_page_offers_to_withdraw_only_standing_ones(organiser, site, now):
    standing, mistaken = (
        services.record_meeting(
            site.home,
            services.MeetingValues(
                held_on=day, people_present=3, sectors=["schools", "media"]
            ),
            actor=None,
            now=now,
        )
        for day in (date(2026, 2, 10), date(2026, 2, 11))
    )
    services.withdraw_meeting(mistaken, actor=None, now=now)
    db.session.commit()

    page = organiser.get(meetings_url(site.home)).get_data(as_text=True)

    assert f"/meetings/{standing.id}/withdraw" in page
    assert f"/meetings/{mistaken.id}/withdraw" not in page
    assert page.count('class="is-withdrawn"') == 1
    assert "Stands" in page
    assert "a former account" in page


def test_withdrawing_a_meeting_twice_says_so(organiser, site):
    organiser.post(meetings_url(site.home), data=meeting_form())
    [meeting] = db.session.scalars(select(OutsideMeeting)).all()
    url = f"{meetings_url(site.home)}/{meeting.id}/withdraw"
    organiser.post(url)
    first = fresh(OutsideMeeting, meeting.id).withdrawn_at

    response = organiser.post(url, follow_redirects=True)

    assert response.status_code == 200
    assert "already withdrawn" in response.get_data(as_text=True)
    assert fresh(OutsideMeeting, meeting.id).withdrawn_at == first
    assert count(OutsideMeeting) == 1


def test_other_organiser_cannot_withdraw_a_meeting(client, site, now):
    meeting = services.record_meeting(
        site.home,
        services.MeetingValues(
            held_on=local_today(now), people_present=3, sectors=["schools", "media"]
        ),
        actor=None,
        now=now,
    )
    db.session.commit()
    log_in(client, site.other_organiser)

    response = client.post(f"{meetings_url(site.home)}/{meeting.id}/withdraw")

    assert response.status_code == 403
    assert fresh(OutsideMeeting, meeting.id).withdrawn_at is None


def test_database_refuses_a_withdrawer_without_a_withdrawal(site, now):
    db.session.add(
        OutsideMeeting(
            community_id=site.home.id,
            held_on=local_today(now),
            people_present=3,
            withdrawn_by_id=site.organiser.id,
        )
    )

    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_meeting_of_another_community_is_not_found(organiser, site, now):
    meeting = services.record_meeting(
        site.other,
        services.MeetingValues(
            held_on=local_today(now), people_present=3, sectors=["schools", "media"]
        ),
        actor=None,
        now=now,
    )
    db.session.commit()

    response = organiser.post(f"{meetings_url(site.home)}/{meeting.id}/withdraw")

    assert response.status_code == 404
    assert fresh(OutsideMeeting, meeting.id).withdrawn_at is None
