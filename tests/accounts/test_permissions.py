"""Who may do what: the role x action matrix, and what a refusal over HTTP says."""

import pytest

from tests.accounts.conftest import is_signed_in
from workshop.workshops.models import Membership, Role
from workshop.workshops.permissions import Action, can

ORG, MOD, PAR = Role.ORGANIZER, Role.MODERATOR, Role.PARTICIPANT

# Written out by hand on purpose: a change to RULES must be matched here.
EXPECTED = {
    Action.VIEW_WORKSHOP: {ORG: True, MOD: True, PAR: True},
    Action.VOTE: {ORG: True, MOD: True, PAR: True},
    Action.ASK: {ORG: True, MOD: True, PAR: True},
    Action.SEE_WHO_IS_ONLINE: {ORG: True, MOD: True, PAR: False},
    Action.MODERATE: {ORG: True, MOD: True, PAR: False},
    Action.EDIT_WORKSHOP: {ORG: True, MOD: False, PAR: False},
    Action.MANAGE_PEOPLE: {ORG: True, MOD: False, PAR: False},
    Action.MANAGE_REPORTS: {ORG: True, MOD: False, PAR: False},
    Action.SUBMIT_OWN_REPORT: {ORG: False, MOD: False, PAR: True},
    Action.MANAGE_CERTIFICATES: {ORG: True, MOD: False, PAR: False},
    Action.GET_OWN_CERTIFICATE: {ORG: True, MOD: True, PAR: True},
    Action.MANAGE_ATTENDANCE: {ORG: True, MOD: False, PAR: False},
    Action.MANAGE_EVALUATION: {ORG: True, MOD: False, PAR: False},
    Action.ANSWER_EVALUATION: {ORG: False, MOD: False, PAR: True},
}


def test_the_table_covers_every_role_and_action():
    assert set(EXPECTED) == set(Action)
    for action, by_role in EXPECTED.items():
        assert set(by_role) == set(Role), action


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(Role))
def test_can_agrees_with_the_table(role, action):
    assert can(Membership(role=role), action) is EXPECTED[action][role]


@pytest.mark.parametrize("action", list(Action))
def test_no_membership_can_do_nothing(action):
    assert can(None, action) is False


# Over HTTP --------------------------------------------------------------------------------
# Who gets through which route is tests/accounts/test_access_table.py's, for every route and socket event.
# What stays here is what that table does not look at: what a refusal says, and roles held per workshop.


@pytest.mark.parametrize("role", [PAR, MOD])
def test_a_refused_role_is_told_why(client, make, role):
    workshop = make.workshop()
    make.sign_in(client, make.member(workshop, role))
    response = client.get(f"/w/{workshop.code}/people")
    assert response.status_code == 403
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert "You do not have access to this" in body
    assert f"Your role ({role})" in body


def test_a_non_member_is_told_why(client, make):
    workshop = make.workshop()
    make.sign_in(client, make.member(make.workshop(), Role.ORGANIZER))
    response = client.get(f"/w/{workshop.code}/")
    assert response.status_code == 403
    assert "not a member of this workshop" in response.get_data(as_text=True)


def test_anonymous_is_sent_to_sign_in_and_back(client, make):
    workshop = make.workshop()
    for path in (f"/w/{workshop.code}/", f"/w/{workshop.code}/people", f"/w/{workshop.code}/invites.csv"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == f"/login?next={path.replace('/', '%2F')}"


def test_unknown_workshop_is_a_friendly_404(client, make):
    make.sign_in(client, make.member(make.workshop(), Role.ORGANIZER))
    response = client.get("/w/NO-SUCH-CODE/")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "There is no workshop with that code" in body
    assert "Back to your workshops" in body


def test_organizer_who_is_a_participant_elsewhere_has_only_that_role_there(client, make):
    from workshop.db import db
    from workshop.workshops.models import Origin

    mine, theirs = make.workshop(), make.workshop()
    organizer = make.member(mine, Role.ORGANIZER)
    db.session.add(Membership(workshop=theirs, person=organizer, role=Role.PARTICIPANT, origin=Origin.LOCAL))
    db.session.commit()
    make.sign_in(client, organizer)
    assert client.get(f"/w/{theirs.code}/").status_code == 200
    assert client.get(f"/w/{theirs.code}/people").status_code == 403
    assert client.get(f"/w/{mine.code}/people").status_code == 200


def test_creating_workshops_needs_the_creator_right(client, make):
    moderator = make.member(make.workshop(), Role.MODERATOR)
    make.sign_in(client, moderator)
    assert is_signed_in(client)
    response = client.get("/workshops/new")
    assert response.status_code == 403
    assert "Only organizers can create workshops" in response.get_data(as_text=True)
