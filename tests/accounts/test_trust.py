"""Trust between workshops: nobody gains another person's access, and ended access ends at once.

Each test names the finding of the issue "Trust between workshops" it guards against.
"""

from __future__ import annotations

import email
import email.policy
import re
from zoneinfo import ZoneInfo
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.accounts.conftest import is_signed_in, reread
from tests.factories import PASSWORD
from tests.polls.conftest import add_session
from tests.workshops.helpers import text
from workshop.accounts import services as accounts
from workshop.accounts.models import Invite, PasswordLink, Person
from workshop.audit.models import AuditEvent
from workshop.db import db, utcnow
from workshop.qa import services as qa
from workshop.qa.models import Question
from workshop.workshops.models import Membership, Role

LINK = re.compile(r"https?://[^\s\"'<>]+/password/([A-Za-z0-9_-]+)")


def signed_in_organizer(app, make, workshop):
    organizer = make.member(workshop, Role.ORGANIZER, password=None)
    client = app.test_client()
    make.sign_in(client, organizer)
    return organizer, client


def enter_with_invite(app, make, person, workshop):
    """A fresh browser that used the person's invite link for the workshop."""
    invite = accounts.issue_invite(person, workshop)
    db.session.commit()
    browser = app.test_client()
    token = accounts.invite_token(invite)
    response = make.post(browser, f"/invite/{token}", csrf_path=f"/invite/{token}")
    assert response.status_code == 302, text(response)
    return browser, invite


def password_sign_in(app, make, email, password=PASSWORD) -> int:
    return make.post(app.test_client(), "/login", {"email": email, "password": password}).status_code


def plain_bodies(inbox) -> list[str]:
    """Each message's text as its reader sees it (quoted-printable undone)."""
    return [email.message_from_bytes(m.content, policy=email.policy.default).get_body(("plain",)).get_content()
            for m in inbox.messages]


def audit_actions(workshop) -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.workshop_id == workshop.id)
                                   .order_by(AuditEvent.id)))


# Finding 1: an organizer of A cannot take over accounts of B ------------------------------------------

def test_adding_another_workshops_organizer_shows_no_credential_and_changes_none(app, make):
    a, b = make.workshop(), make.workshop()
    b_organizer = make.member(b, Role.ORGANIZER, name="Bea Organizer")
    _, a_client = signed_in_organizer(app, make, a)

    response = make.post(a_client, f"/w/{a.code}/people/staff",
                         {"name": "Whoever", "email": b_organizer.email, "role": "moderator"}, follow_redirects=True)
    assert response.status_code == 200
    page = text(response)
    assert "/password/" not in page and "/invite/" not in page
    assert password_sign_in(app, make, b_organizer.email) == 302  # their own password still works
    assert db.session.scalar(select(func.count()).select_from(PasswordLink)) == 0


def test_password_of_another_workshops_organizer_cannot_be_reset_from_a(app, make):
    a, b = make.workshop(), make.workshop()
    b_organizer = make.member(b, Role.ORGANIZER)
    _, a_client = signed_in_organizer(app, make, a)
    db.session.add(Membership(workshop=a, person=reread(b_organizer), role=Role.MODERATOR))
    db.session.commit()

    # The old "reset password" route is gone; the new one only emails the holder and needs mail.
    assert make.post(a_client, f"/w/{a.code}/people/{b_organizer.id}/password").status_code == 404
    response = make.post(a_client, f"/w/{a.code}/people/{b_organizer.id}/password-link")
    assert response.status_code == 400
    assert "Email is not set up" in text(response)
    assert password_sign_in(app, make, b_organizer.email) == 302


def test_a_password_link_goes_only_to_the_holders_own_address(app, make, mailbox):
    a, b = make.workshop(), make.workshop()
    b_organizer = make.member(b, Role.ORGANIZER)
    _, a_client = signed_in_organizer(app, make, a)
    db.session.add(Membership(workshop=a, person=reread(b_organizer), role=Role.MODERATOR))
    db.session.commit()

    response = make.post(a_client, f"/w/{a.code}/people/{b_organizer.id}/password-link", follow_redirects=True)
    assert response.status_code == 200
    assert not LINK.search(text(response))
    assert [m.rcpt_tos for m in mailbox.messages] == [[b_organizer.email]]
    assert LINK.search(plain_bodies(mailbox)[0])
    assert "password link sent" in audit_actions(a)
    assert password_sign_in(app, make, b_organizer.email) == 302  # unchanged until the holder uses the link


def test_no_invite_link_is_issued_for_an_account_with_a_password(app, make):
    a, b = make.workshop(), make.workshop()
    b_organizer = make.member(b, Role.ORGANIZER)
    _, a_client = signed_in_organizer(app, make, a)
    db.session.add(Membership(workshop=a, person=reread(b_organizer), role=Role.MODERATOR))
    db.session.commit()

    response = make.post(a_client, f"/w/{a.code}/people/{b_organizer.id}/invite")
    assert response.status_code == 409
    assert "signs in with a password" in text(response)
    assert db.session.scalar(select(func.count()).select_from(Invite)) == 0


def test_an_invite_link_never_signs_in_an_account_with_a_password(app, make):
    a, b = make.workshop(), make.workshop()
    b_moderator = make.member(b, Role.MODERATOR)
    db.session.add(Membership(workshop=a, person=reread(b_moderator), role=Role.PARTICIPANT))
    # An invite that exists anyway (say, from before the upgrade) is refused at the door.
    invite = Invite(person_id=b_moderator.id, workshop_id=a.id, expires_at=utcnow() + timedelta(days=3))
    db.session.add(invite)
    db.session.commit()
    browser = app.test_client()
    token = accounts.invite_token(invite)
    response = browser.post(f"/invite/{token}", data={"csrf_token": make.csrf_token(browser, f"/invite/{token}")})
    assert response.status_code == 409
    assert "signs in with its password" in text(response)
    assert not is_signed_in(browser)


def test_csv_import_of_another_workshops_moderator_gives_no_way_in(app, make):
    a, b = make.workshop(), make.workshop()
    b_moderator = make.member(b, Role.MODERATOR)
    _, a_client = signed_in_organizer(app, make, a)
    csv_text = f"name,email,country\nImported,{b_moderator.email},NP\n"
    response = make.post(a_client, f"/w/{a.code}/people/import/confirm", {"csv": csv_text})
    assert response.status_code == 302
    assert db.session.scalar(select(Membership.role).where(Membership.person_id == b_moderator.id,
                                                           Membership.workshop_id == a.id)) == Role.PARTICIPANT
    assert db.session.scalar(select(func.count()).select_from(Invite)) == 0
    assert "/invite/" not in text(a_client.get(f"/w/{a.code}/people"))


# Finding 2: an invite link's session reaches only that workshop -------------------------------------

def test_an_invite_session_reaches_only_its_workshop(app, make):
    a, b = make.workshop(title="Workshop Alpha"), make.workshop(title="Workshop Beta")
    participant = make.member(a)
    db.session.add(Membership(workshop=b, person=reread(participant), role=Role.PARTICIPANT))
    db.session.commit()

    browser, _ = enter_with_invite(app, make, participant, a)
    assert browser.get(f"/w/{a.code}/").status_code == 200
    refused = browser.get(f"/w/{b.code}/")
    assert refused.status_code == 403
    assert "opens only that workshop" in text(refused)
    listing = text(browser.get("/"))
    assert "Workshop Alpha" in listing and "Workshop Beta" not in listing
    assert browser.get("/workshops/new").status_code == 403


def test_an_invite_session_cannot_set_a_password_or_delete_a_shared_account(app, make):
    a, b = make.workshop(), make.workshop()
    participant = make.member(a)
    db.session.add(Membership(workshop=b, person=reread(participant), role=Role.PARTICIPANT))
    db.session.commit()
    browser, _ = enter_with_invite(app, make, participant, a)

    assert make.post(browser, "/account/password", {"current_password": "x", "password": "y" * 12,
                                                    "confirm": "y" * 12}, csrf_path="/account").status_code == 403
    response = make.post(browser, "/account/delete", {"confirm_text": "DELETE", "understood": "y"},
                         csrf_path="/account")
    assert response.status_code == 403
    assert reread(participant).deleted_at is None and reread(participant).password_hash is None


# Finding 3: revoked means out, at once --------------------------------------------------------------

def remember_only(app, browser):
    """A browser that kept only the remember cookie (the session cookie gone, as after a restart)."""
    cookie = browser.get_cookie("remember_token")
    assert cookie is not None
    fresh = app.test_client()
    fresh.set_cookie("remember_token", cookie.value)
    return fresh


@pytest.mark.parametrize("action", ["revoke", "reissue"])
def test_revoking_or_reissuing_an_invite_signs_its_sessions_out(app, make, action):
    workshop = make.workshop()
    participant = make.member(workshop)
    _, organizer_client = signed_in_organizer(app, make, workshop)
    browser, _ = enter_with_invite(app, make, participant, workshop)
    kept_cookie = remember_only(app, browser)
    assert kept_cookie.get(f"/w/{workshop.code}/").status_code == 200

    path = f"/w/{workshop.code}/people/{participant.id}/invite" + ("/revoke" if action == "revoke" else "")
    assert make.post(organizer_client, path).status_code == 302

    for device in (browser, remember_only(app, browser), kept_cookie):
        response = device.get(f"/w/{workshop.code}/")
        assert response.status_code == 401
        assert "withdrawn or replaced" in text(response)
    assert audit_actions(workshop)[-1] == ("sign-in link revoked" if action == "revoke" else "sign-in link issued")


def test_the_invite_remember_cookie_lasts_at_most_the_configured_days(app, make):
    app.config["INVITE_SESSION_DAYS"] = 5
    workshop = make.workshop()
    browser, _ = enter_with_invite(app, make, make.member(workshop), workshop)
    expires = browser.get_cookie("remember_token").expires
    assert expires is not None
    assert timedelta(days=4) < expires - utcnow() <= timedelta(days=5, minutes=1)


def test_removing_a_member_ends_their_access_and_keeps_what_they_contributed(app, make):
    workshop = make.workshop()
    session = add_session(workshop)
    participant = make.member(workshop, name="Ravi Kumar")
    qa.ask(session, reread(participant), "What about framework agreements?")
    db.session.commit()
    _, organizer_client = signed_in_organizer(app, make, workshop)
    browser, _ = enter_with_invite(app, make, participant, workshop)

    assert make.post(organizer_client, f"/w/{workshop.code}/people/{participant.id}/remove").status_code == 302
    response = browser.get(f"/w/{workshop.code}/")
    assert response.status_code in (401, 403)
    assert db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.person_id == participant.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(Question)) == 1
    assert "member removed" in audit_actions(workshop)


def test_a_removed_password_holder_is_told_why(app, make):
    workshop = make.workshop()
    moderator = make.member(workshop, Role.MODERATOR)
    _, organizer_client = signed_in_organizer(app, make, workshop)
    their_browser = app.test_client()
    make.sign_in(their_browser, moderator)
    make.post(organizer_client, f"/w/{workshop.code}/people/{moderator.id}/remove")
    response = their_browser.get(f"/w/{workshop.code}/")
    assert response.status_code == 403
    assert "removed you from this workshop" in text(response)


def test_the_last_organizer_cannot_be_removed(app, make):
    workshop = make.workshop()
    organizer, client = signed_in_organizer(app, make, workshop)
    other = make.member(workshop, Role.ORGANIZER)
    assert make.post(client, f"/w/{workshop.code}/people/{other.id}/remove").status_code == 302
    response = make.post(client, f"/w/{workshop.code}/people/{organizer.id}/remove")
    assert response.status_code == 409
    assert "at least one organizer" in text(response)


def test_removing_someone_not_in_the_workshop_is_404_and_without_csrf_400(app, make):
    workshop, elsewhere = make.workshop(), make.workshop()
    _, client = signed_in_organizer(app, make, workshop)
    stranger = make.member(elsewhere)
    member = make.member(workshop)
    assert make.post(client, f"/w/{workshop.code}/people/{stranger.id}/remove").status_code == 404
    assert client.post(f"/w/{workshop.code}/people/{member.id}/remove").status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.person_id == member.id)) == 1


def test_sign_out_everywhere_ends_every_session_of_the_account(app, make):
    workshop = make.workshop()
    moderator = make.member(workshop, Role.MODERATOR)
    laptop, phone = app.test_client(), app.test_client()
    for device in (laptop, phone):
        assert make.post(device, "/login", {"email": moderator.email, "password": PASSWORD}).status_code == 302
    response = make.post(laptop, "/account/sign-out-everywhere", csrf_path="/account")
    assert response.status_code == 302
    assert not is_signed_in(laptop) and not is_signed_in(phone)
    assert password_sign_in(app, make, moderator.email) == 302


# Passwords: forgotten, changed, reset by an operator ------------------------------------------------

def test_forgot_password_answers_the_same_and_mails_only_real_accounts(app, make, mailbox):
    person = make.person(password=PASSWORD)
    answers = []
    for address in (person.email, "nobody-here@example.org"):
        response = make.post(app.test_client(), "/password/forgot", {"email": address}, follow_redirects=True)
        assert response.status_code == 200
        answers.append(re.findall(r'<p class="flash[^"]*">([^<]*)</p>', text(response)))
    assert answers[0] == answers[1]
    assert [m.rcpt_tos for m in mailbox.messages] == [[person.email]]


def test_a_password_link_works_once_and_ends_every_other_session(app, make, mailbox):
    person = make.person(password=PASSWORD)
    other_device = app.test_client()
    make.post(other_device, "/login", {"email": person.email, "password": PASSWORD})
    make.post(app.test_client(), "/password/forgot", {"email": person.email})
    token = LINK.search(plain_bodies(mailbox)[0]).group(1)

    browser = app.test_client()
    page = browser.get(f"/password/{token}")
    assert page.status_code == 200
    new = "a brand new passphrase"
    response = make.post(browser, f"/password/{token}", {"password": new, "confirm": new}, csrf_path=f"/password/{token}")
    assert response.status_code == 302
    assert is_signed_in(browser, person)
    assert not is_signed_in(other_device)
    assert password_sign_in(app, make, person.email) == 401
    assert password_sign_in(app, make, person.email, new) == 302
    again = app.test_client().get(f"/password/{token}")
    assert again.status_code == 410
    assert "already been used" in text(again)


def test_an_expired_or_unknown_password_link_is_410(app, make):
    person = make.person(password=PASSWORD)
    token = accounts.issue_password_link(person)
    db.session.commit()
    link = db.session.scalar(select(PasswordLink))
    link.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = app.test_client().get(f"/password/{token}")
    assert response.status_code == 410 and "expired" in text(response)
    assert app.test_client().get("/password/not-a-real-token").status_code == 410


@pytest.mark.parametrize(("fields", "message"), [
    ({"password": "short", "confirm": "short"}, "at least 10 characters"),
    ({"password": "long enough one", "confirm": "another one here"}, "differ"),
])
def test_a_bad_new_password_is_refused_and_the_link_stays_usable(app, make, fields, message):
    person = make.person(password=PASSWORD)
    token = accounts.issue_password_link(person)
    db.session.commit()
    browser = app.test_client()
    response = make.post(browser, f"/password/{token}", fields, csrf_path=f"/password/{token}")
    assert response.status_code == 400
    assert message in text(response)
    assert browser.get(f"/password/{token}").status_code == 200
    assert password_sign_in(app, make, person.email) == 302


def test_forgot_password_is_rate_limited(app, make, mailbox):
    app.config["PASSWORD_LINKS_PER_HOUR"] = 2
    person = make.person(password=PASSWORD)
    statuses = [make.post(app.test_client(), "/password/forgot", {"email": person.email}).status_code
                for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert len(mailbox.messages) == 2


def test_change_password_needs_the_current_one_and_ends_other_sessions(app, make):
    person = make.person(password=PASSWORD)
    browser, other = app.test_client(), app.test_client()
    for device in (browser, other):
        make.post(device, "/login", {"email": person.email, "password": PASSWORD})
    new = "another long passphrase"
    wrong = make.post(browser, "/account/password", {"current_password": "wrong one", "password": new,
                                                     "confirm": new}, csrf_path="/account")
    assert wrong.status_code == 400 and "not your current password" in text(wrong)
    assert make.post(browser, "/account/password", {"current_password": PASSWORD, "password": new,
                                                    "confirm": new}, csrf_path="/account").status_code == 302
    assert is_signed_in(browser, person)
    assert not is_signed_in(other)
    assert password_sign_in(app, make, person.email, new) == 302


def test_operators_reset_a_password_from_the_command_line(app, make):
    person = make.person(password=PASSWORD)
    device = app.test_client()
    make.post(device, "/login", {"email": person.email, "password": PASSWORD})
    result = app.test_cli_runner().invoke(args=["reset-password", "--email", person.email.upper(),
                                                "--password", "an operator's passphrase"])
    assert result.exit_code == 0, result.output
    assert not is_signed_in(device)
    assert password_sign_in(app, make, person.email, "an operator's passphrase") == 302
    unknown = app.test_cli_runner().invoke(args=["reset-password", "--email", "nobody@example.org",
                                                 "--password", "an operator's passphrase"])
    assert unknown.exit_code != 0 and "No account uses" in unknown.output


# People can leave ------------------------------------------------------------------------------------

def test_a_person_deletes_their_own_account_and_their_questions_stay(app, make):
    workshop = make.workshop()
    session = add_session(workshop)
    person = make.member(workshop, name="Sita Sharma", password=PASSWORD)
    qa.ask(session, reread(person), "How are bids evaluated?")
    db.session.commit()
    browser = app.test_client()
    make.post(browser, "/login", {"email": person.email, "password": PASSWORD})

    refused = make.post(browser, "/account/delete", {"confirm_text": "delete", "understood": "y"},
                        csrf_path="/account")
    assert refused.status_code == 400 and "Type DELETE" in text(refused)
    response = make.post(browser, "/account/delete", {"confirm_text": "DELETE", "understood": "y"},
                         csrf_path="/account")
    assert response.status_code == 302
    gone = reread(person)
    assert gone.deleted_at is not None and gone.name == accounts.FORMER_PARTICIPANT
    assert "Sita" not in gone.email and gone.password_hash is None
    assert not is_signed_in(browser)
    assert password_sign_in(app, make, person.email) == 401
    question = db.session.scalar(select(Question))
    assert question.person_id == person.id
    assert db.session.get(Person, question.person_id).name == accounts.FORMER_PARTICIPANT
    assert "account deleted" in audit_actions(workshop)


def test_organizers_delete_only_accounts_that_belong_to_no_other_workshop(app, make):
    workshop, elsewhere = make.workshop(), make.workshop()
    _, client = signed_in_organizer(app, make, workshop)
    only_here, also_elsewhere = make.member(workshop), make.member(workshop)
    db.session.add(Membership(workshop=elsewhere, person=reread(also_elsewhere), role=Role.PARTICIPANT))
    db.session.commit()

    refused = make.post(client, f"/w/{workshop.code}/people/{also_elsewhere.id}/delete")
    assert refused.status_code == 403
    assert reread(also_elsewhere).deleted_at is None
    assert make.post(client, f"/w/{workshop.code}/people/{only_here.id}/delete").status_code == 302
    assert reread(only_here).deleted_at is not None
    assert db.session.scalar(select(func.count()).select_from(Person).where(Person.id == only_here.id)) == 1


# Staff forms and the audit log -----------------------------------------------------------------------

def test_staff_form_answers_the_same_for_new_and_existing_accounts(app, make, mailbox):
    workshop, other = make.workshop(), make.workshop()
    existing = make.member(other, Role.MODERATOR)
    _, client = signed_in_organizer(app, make, workshop)
    answers = []
    for address in ("brand.new@example.org", existing.email):
        page = text(make.post(client, f"/w/{workshop.code}/people/staff",
                              {"name": "Someone", "email": address, "role": "moderator"}, follow_redirects=True))
        flash = re.search(r'<p class="flash[^"]*">([^<]*)</p>', page).group(1)
        answers.append(flash.replace(address, "EMAIL"))
    assert answers[0] == answers[1]
    bodies = {m.rcpt_tos[0]: body for m, body in zip(mailbox.messages, plain_bodies(mailbox))}
    assert LINK.search(bodies["brand.new@example.org"])  # a new account: a link to set its own password
    assert not LINK.search(bodies[existing.email]) and "added to" in bodies[existing.email]  # a notice only


def test_a_new_staff_account_without_mail_gets_a_one_time_link_shown_once(app, make):
    workshop = make.workshop()
    _, client = signed_in_organizer(app, make, workshop)
    page = text(make.post(client, f"/w/{workshop.code}/people/staff",
                          {"name": "Kenji Sato", "email": "kenji@example.org", "role": "moderator"},
                          follow_redirects=True))
    token = LINK.search(page).group(1)
    assert token not in text(client.get(f"/w/{workshop.code}/people"))
    kenji_browser = app.test_client()
    response = make.post(kenji_browser, f"/password/{token}", {"password": "kenji's passphrase",
                                                               "confirm": "kenji's passphrase"},
                         csrf_path=f"/password/{token}")
    assert response.status_code == 302
    assert password_sign_in(app, make, "kenji@example.org", "kenji's passphrase") == 302


def test_the_audit_log_is_for_organizers_and_names_who_did_what_to_whom(app, make):
    workshop = make.workshop()
    organizer, client = signed_in_organizer(app, make, workshop)
    participant = make.member(workshop, name="Nimal Perera")
    make.post(client, f"/w/{workshop.code}/people/{participant.id}/invite")
    make.post(client, f"/w/{workshop.code}/people/{participant.id}/invite/revoke")
    page = text(client.get(f"/w/{workshop.code}/audit"))
    assert "sign-in link issued" in page and "sign-in link revoked" in page and "Nimal Perera" in page
    assert organizer.name in page
    moderator_browser = app.test_client()
    make.sign_in(moderator_browser, make.member(workshop, Role.MODERATOR, password=None))
    assert moderator_browser.get(f"/w/{workshop.code}/audit").status_code == 403


def test_pages_whose_address_is_a_secret_send_no_referrer(app, make):
    workshop = make.workshop()
    invite = accounts.issue_invite(make.member(workshop), workshop)
    token = accounts.issue_password_link(make.person(password=PASSWORD))
    db.session.commit()
    for path in (f"/invite/{accounts.invite_token(invite)}", f"/password/{token}"):
        assert app.test_client().get(path).headers["Referrer-Policy"] == "no-referrer", path
    assert app.test_client().get("/login").headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


# Self-registration -----------------------------------------------------------------------------------

JOIN = {"join_code": "ABCD2345", "name": "Sita Sharma", "email": "sita@example.org", "country": "Nepal",
        "organization": "PPMO", "timezone": "Asia/Kathmandu"}


def test_a_self_registrant_is_signed_in_through_an_invite_that_organizers_can_revoke(app, make):
    workshop = make.workshop(join_enabled=True, join_code="ABCD2345")
    _, organizer_client = signed_in_organizer(app, make, workshop)
    browser = app.test_client()
    assert make.post(browser, f"/join/{workshop.code}", JOIN).status_code == 302
    assert browser.get(f"/w/{workshop.code}/").status_code == 200
    sita = db.session.scalar(select(Person).where(Person.email == "sita@example.org"))
    assert "member added" in audit_actions(workshop)

    make.post(organizer_client, f"/w/{workshop.code}/people/{sita.id}/invite/revoke")
    assert browser.get(f"/w/{workshop.code}/").status_code == 401


def test_the_join_form_is_rate_limited_per_email(app, make):
    app.config["PASSWORD_LINKS_PER_HOUR"] = 2
    workshop = make.workshop(join_enabled=True, join_code="ABCD2345")
    existing = make.person(password=PASSWORD)
    statuses = [make.post(app.test_client(), f"/join/{workshop.code}", {**JOIN, "email": existing.email}).status_code
                for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_country_report_events_are_in_the_workshop_audit_log(app, make):
    from workshop.reports import services as reports

    workshop = make.workshop()
    organizer = make.member(workshop, Role.ORGANIZER, password=None)
    make.member(workshop, country="NP")
    slots = reports.create_slots(workshop, {**reports.DEFAULT_SLOT, "max_mb": 1}, organizer, ZoneInfo("UTC"), 25)
    db.session.commit()
    assert slots and "country report slot created" in audit_actions(workshop)


def test_passwords_are_hashed_with_scrypt_outside_the_test_suite(tmp_path):
    from workshop import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}", "ASYNC_MODE": "threading"})
    with app.app_context():
        person = Person(email="a@example.org", name="A")
        accounts.set_password(person, "a long enough passphrase")
        assert person.password_hash.startswith("scrypt:")
