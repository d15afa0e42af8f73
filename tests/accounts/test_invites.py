"""Personal invite links: valid, expired, revoked, re-issued, tampered; no password needed."""

from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer

from tests.accounts.conftest import is_signed_in, reread
from workshop.accounts import services as accounts
from workshop.db import db, utcnow
from workshop.workshops.models import Membership, Origin, Role


@pytest.fixture
def workshop(make):
    return make.workshop(title="Innovative Public Procurement")


@pytest.fixture
def participant(make, workshop):
    return make.member(workshop, Role.PARTICIPANT, name="Dilani Perera")


def test_valid_link_shows_a_welcome_page_without_signing_in(client, participant, workshop, invite_link):
    invite, token = invite_link(participant, workshop)
    response = client.get(f"/invite/{token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Welcome, Dilani Perera" in page
    assert workshop.title in page
    assert 'type="password"' not in page
    # A link preview or prefetch (a GET) must not sign anyone in or use the link up.
    assert not is_signed_in(client)
    assert reread(invite).last_used_at is None


def test_entering_signs_in_without_password_and_opens_the_workshop(client, make, participant, workshop,
                                                                   invite_link):
    assert participant.password_hash is None
    invite, token = invite_link(participant, workshop)
    before = utcnow()
    response = make.post(client, f"/invite/{token}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/w/{workshop.code}/"
    assert client.get(f"/w/{workshop.code}/").status_code == 200
    assert is_signed_in(client, participant)
    used = reread(invite).last_used_at
    assert used is not None and before <= used <= utcnow()


def test_enter_without_csrf_token_is_refused_and_records_nothing(client, participant, workshop, invite_link):
    invite, token = invite_link(participant, workshop)
    response = client.post(f"/invite/{token}")
    assert response.status_code == 400
    assert not is_signed_in(client)
    assert reread(invite).last_used_at is None


def test_link_used_again_still_works_until_it_expires(client, make, participant, workshop, invite_link):
    _, token = invite_link(participant, workshop)
    assert make.post(client, f"/invite/{token}").status_code == 302
    other_device = client.application.test_client()
    assert make.post(other_device, f"/invite/{token}").status_code == 302
    assert is_signed_in(other_device, participant)


def test_signed_in_as_someone_else_is_told_before_switching(client, make, participant, workshop, invite_link):
    organizer = make.member(workshop, Role.ORGANIZER, name="Olga Organizer")
    make.sign_in(client, organizer)
    _, token = invite_link(participant, workshop)
    page = client.get(f"/invite/{token}").get_data(as_text=True)
    assert "You are signed in as Olga Organizer" in page
    make.post(client, f"/invite/{token}")
    assert is_signed_in(client, participant)


def _assert_gone(client, make, token, words):
    for response in (client.get(f"/invite/{token}"), make.post(client, f"/invite/{token}")):
        assert response.status_code == 410
        page = response.get_data(as_text=True)
        assert "This link no longer works" in page
        assert words in page
    assert not is_signed_in(client)


def test_expired_link_is_410(client, make, participant, workshop, invite_link):
    invite, token = invite_link(participant, workshop)
    invite.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    _assert_gone(client, make, token, "expired")
    assert reread(invite).last_used_at is None


def test_link_expires_after_the_configured_days(app, participant, workshop, invite_link):
    invite, _ = invite_link(participant, workshop)
    lifetime = reread(invite).expires_at - invite.created_at
    assert lifetime == timedelta(days=app.config["INVITE_DAYS"])


def test_revoked_link_is_410(client, make, participant, workshop, invite_link):
    invite, token = invite_link(participant, workshop)
    accounts.revoke_invite(invite)
    db.session.commit()
    _assert_gone(client, make, token, "withdrawn")


def test_reissued_link_replaces_the_old_one(client, make, participant, workshop, invite_link):
    old, old_token = invite_link(participant, workshop)
    new, new_token = invite_link(participant, workshop)
    assert new_token != old_token
    assert reread(old).revoked_at is not None
    _assert_gone(client, make, old_token, "replaced")
    assert make.post(client, f"/invite/{new_token}").status_code == 302
    assert is_signed_in(client, participant)


def test_reissuing_in_one_workshop_leaves_the_link_for_another_alone(client, make, participant, workshop,
                                                                     invite_link):
    second = make.workshop()
    db.session.add(Membership(workshop=second, person=participant, role=Role.PARTICIPANT, origin=Origin.LOCAL))
    db.session.commit()
    _, first_token = invite_link(participant, workshop)
    invite_link(participant, second)
    assert make.post(client, f"/invite/{first_token}").headers["Location"] == f"/w/{workshop.code}/"


def _tampered(token: str, position: int) -> str:
    replacement = "A" if token[position] != "A" else "B"
    return token[:position] + replacement + token[position + 1:]


@pytest.mark.parametrize("where", ["payload", "signature"])
def test_tampered_link_is_400(client, make, participant, workshop, invite_link, where):
    _, token = invite_link(participant, workshop)
    payload, _, signature = token.partition(".")
    position = 0 if where == "payload" else len(payload) + 1 + len(signature) // 2
    bad = _tampered(token, position)
    for response in (client.get(f"/invite/{bad}"), make.post(client, f"/invite/{bad}")):
        assert response.status_code == 400
        assert "not valid" in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_garbage_link_is_400(client):
    for token in ("garbage", "a.b", "...", "x" * 500, "%00", "eyJ"):
        response = client.get(f"/invite/{token}")
        assert response.status_code == 400, token
        assert "not valid" in response.get_data(as_text=True)


def test_link_signed_with_another_secret_is_400(client, participant, workshop, invite_link):
    invite, _ = invite_link(participant, workshop)
    forged = URLSafeSerializer("some other secret", salt="invite-link").dumps(invite.id)
    assert client.get(f"/invite/{forged}").status_code == 400


def test_signed_link_to_no_invite_is_400(app, client):
    for payload in (999999, "1", [1], None):
        token = URLSafeSerializer(app.secret_key, salt="invite-link").dumps(payload)
        assert client.get(f"/invite/{token}").status_code == 400, payload


def test_a_deleted_workshops_link_never_opens_a_later_invite(client, make, participant, workshop, invite_link):
    """The deleted workshop's invite had the highest id: the next invite, someone else's, must not get it."""
    old, old_token = invite_link(participant, workshop)
    old_id = old.id
    db.session.delete(workshop)
    db.session.commit()
    later_workshop = make.workshop()
    stranger = make.member(later_workshop, Role.PARTICIPANT, name="Somebody Else")
    new, _ = invite_link(stranger, later_workshop)
    assert new.id != old_id
    assert client.get(f"/invite/{old_token}").status_code == 400
    assert not is_signed_in(client)
