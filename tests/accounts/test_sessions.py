"""A password reset (here the operator's) ends every session signed in before it."""

from tests.accounts.conftest import is_signed_in
from tests.factories import PASSWORD
from workshop.accounts import services as accounts
from workshop.db import db
from workshop.workshops.models import Role


def _sign_in_with_password(client, make, person, password=PASSWORD):
    return make.post(client, "/login", {"email": person.email, "password": password})


def test_reset_signs_out_sessions_from_before_it(app, make):
    workshop = make.workshop()
    moderator = make.member(workshop, Role.MODERATOR, name="Mona Moderator")
    laptop, phone = app.test_client(), app.test_client()
    for device in (laptop, phone):
        assert _sign_in_with_password(device, make, moderator).status_code == 302
        assert is_signed_in(device, moderator)

    new_password = "the operator's new one"
    accounts.operator_reset(moderator.email, new_password)
    db.session.commit()

    for device in (laptop, phone):
        assert not is_signed_in(device)
        response = device.get(f"/w/{workshop.code}/")
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert _sign_in_with_password(laptop, make, moderator).status_code == 401
    assert _sign_in_with_password(laptop, make, moderator, new_password).status_code == 302
    assert is_signed_in(laptop, moderator)


def test_reset_leaves_other_people_signed_in(app, make):
    workshop = make.workshop()
    moderator = make.member(workshop, Role.MODERATOR)
    organizer = make.member(workshop, Role.ORGANIZER, name="Olga Organizer")
    client = app.test_client()
    _sign_in_with_password(client, make, organizer)
    accounts.operator_reset(moderator.email, "the operator's new one")
    db.session.commit()
    assert is_signed_in(client, organizer)


def test_uncommitted_reset_changes_nothing(app, make):
    moderator = make.person(password=PASSWORD)
    client = app.test_client()
    _sign_in_with_password(client, make, moderator)
    accounts.operator_reset(moderator.email, "the operator's new one")
    db.session.rollback()
    assert is_signed_in(client, moderator)



def test_session_from_an_older_version_or_malformed_id_is_signed_out(app, make):
    person = make.person(password=PASSWORD)
    client = app.test_client()
    for user_id in (f"{person.id}.0", f"{person.id}", "abc.1", f"{person.id}.x", "", f"{person.id + 1000}.1"):
        with client.session_transaction() as session:
            session["_user_id"] = user_id
        assert not is_signed_in(client), user_id
