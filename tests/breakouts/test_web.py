"""The breakout desk, room pages and exports over HTTP: who may do what, each action, and each refusal."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from workshop.breakouts import services
from workshop.breakouts.models import BreakoutAssignment, BreakoutRound, RoundState
from workshop.db import db
from workshop.workshops.models import Role

HTMX = {"HX-Request": "true"}


@pytest.fixture
def moderator(scene, make, client):
    make.sign_in(client, scene.moderator)
    return scene.moderator


def state(round_) -> RoundState:
    db.session.expire_all()
    return db.session.get(BreakoutRound, round_.id).state


def text(response) -> str:
    return response.get_data(as_text=True)


# Who may ---------------------------------------------------------------------------------------------------

def test_staff_see_the_desk_and_a_round(scene, make, client):
    round_ = scene.round()
    for role in (Role.MODERATOR, Role.ORGANIZER):
        make.sign_in(client, make.member(scene.workshop, role))
        for path in (scene.path(), scene.path(f"/{round_.id}")):
            assert client.get(path).status_code == 200, (role, path)


def test_a_participant_may_not_use_the_desk_or_open_a_round(scene, make, client):
    round_ = scene.round()
    make.sign_in(client, scene.participants[0])
    assert client.get(scene.path()).status_code == 403
    assert client.get(scene.path(f"/{round_.id}")).status_code == 403
    for action in ("open", "close", "extend", "message", "delete"):
        assert make.post(client, scene.path(f"/{round_.id}/{action}")).status_code == 403, action
    assert make.post(client, scene.path(), {"mode": "diverse", "room_count": "2"}).status_code == 403
    assert state(round_) == RoundState.DRAFT


def test_a_non_member_is_refused_everything(scene, make, client):
    round_ = scene.round(open_it=True)
    make.sign_in(client, make.member(make.workshop(), Role.ORGANIZER))
    for path in (scene.path(), scene.path(f"/{round_.id}"), scene.path(f"/rooms/{round_.rooms[0].id}"),
                 scene.path(f"/{round_.id}/notes")):
        response = client.get(path)
        assert response.status_code == 403 and "not a member" in text(response), path
    assert make.post(client, scene.path(f"/rooms/{round_.rooms[0].id}/notes"),
                     {"notes": "x", "revision": "0"}).status_code == 403


def test_someone_signed_out_is_sent_to_sign_in(scene, client):
    response = client.get(scene.path())
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_round_of_another_session_is_not_found(scene, moderator, client):
    from tests.breakouts.conftest import add_session

    other = add_session(scene.workshop)
    round_ = scene.round()
    assert client.get(f"/w/{scene.code}/s/{other.id}/breakouts/{round_.id}").status_code == 404


# The desk's actions ------------------------------------------------------------------------------------------

def test_creating_a_round_then_preview_open_extend_message_and_close(scene, moderator, client, make):
    created = make.post(client, scene.path(), {"mode": "diverse", "rooms_by": "count", "room_count": "3",
                                               "duration_minutes": "15", "notes_by_members": "y"})
    assert created.status_code == 303
    round_ = db.session.scalar(select(BreakoutRound))
    page = client.get(created.headers["Location"])
    assert "Round 1" in text(page) and "No preview yet." in text(page)
    assert make.post(client, scene.path(f"/{round_.id}/preview")).status_code == 303
    page = text(client.get(scene.path(f"/{round_.id}")))
    assert 'data-testid="assigned-total">12<' in page and 'data-testid="room-sizes">4<' in page
    assert make.post(client, scene.path(f"/{round_.id}/open")).status_code == 303
    assert state(round_) == RoundState.OPEN
    assert make.post(client, scene.path(f"/{round_.id}/extend"), {"minutes": "5"}).status_code == 303
    assert make.post(client, scene.path(f"/{round_.id}/message"), {"text": "Five minutes left"}).status_code == 303
    page = text(client.get(scene.path(f"/{round_.id}")))
    assert "Five minutes left" in page and "Rooms now" in page
    assert make.post(client, scene.path(f"/{round_.id}/close")).status_code == 303
    assert state(round_) == RoundState.CLOSED


def test_bad_settings_show_the_form_again_with_the_message(scene, moderator, client, make):
    response = make.post(client, scene.path(), {"mode": "diverse", "rooms_by": "count", "room_count": "0"})
    assert response.status_code == 400
    assert "The number of rooms must be from 1 to 200." in text(response)
    assert db.session.scalar(select(func.count()).select_from(BreakoutRound)) == 0


def test_unsatisfiable_rules_answer_422_naming_them_and_nothing_opens(scene, moderator, client, make):
    round_ = scene.round(preview=False)
    group = ", ".join(p.email for p in scene.participants[:6])
    assert make.post(client, scene.path(f"/{round_.id}/rules"), {"keep_together": group}).status_code == 303
    response = make.post(client, scene.path(f"/{round_.id}/preview"))
    assert response.status_code == 422
    assert "These rules cannot all be met" in text(response) and "Keep together group 1" in text(response)
    opened = make.post(client, scene.path(f"/{round_.id}/open"))
    assert opened.status_code == 409 and "Make a preview first" in text(opened)
    assert state(round_) == RoundState.DRAFT


def test_rules_naming_strangers_are_shown_with_what_was_typed(scene, moderator, client, make):
    round_ = scene.round(preview=False)
    response = make.post(client, scene.path(f"/{round_.id}/rules"), {"keep_apart": "ghost@example.org, Nobody"})
    assert response.status_code == 400
    assert "Line 1: ghost@example.org, Nobody are not in this workshop." in text(response)
    assert "ghost@example.org, Nobody</textarea>" in text(response)


def test_opening_twice_or_without_a_preview_is_refused(scene, moderator, client, make):
    round_ = scene.round(preview=False)
    assert make.post(client, scene.path(f"/{round_.id}/open")).status_code == 409
    services.generate_preview(round_)
    db.session.commit()
    assert make.post(client, scene.path(f"/{round_.id}/open")).status_code == 303
    response = make.post(client, scene.path(f"/{round_.id}/open"))
    assert response.status_code == 409 and "cannot be opened now" in text(response)


def test_moving_with_htmx_answers_with_the_new_preview(scene, moderator, client, make):
    round_ = scene.round()
    person = scene.participants[0]
    target = next(r for r in round_.rooms if services.room_of(round_.id, person.id) != r)
    response = make.post(client, scene.path(f"/{round_.id}/move"),
                         {"person_id": str(person.id), "room_id": str(target.id)}, headers=HTMX)
    assert response.status_code == 200
    assert f"Moved {person.name} to {target.name}." in text(response) and 'id="preview"' in text(response)
    assert services.room_of(round_.id, person.id) == target
    again = make.post(client, scene.path(f"/{round_.id}/move"),
                      {"person_id": str(person.id), "room_id": str(target.id)}, headers=HTMX)
    assert again.status_code == 409 and "already in" in text(again)
    missing = make.post(client, scene.path(f"/{round_.id}/move"), {"person_id": "x", "room_id": str(target.id)})
    assert missing.status_code == 404


def test_importing_a_csv_with_bad_rows_lists_every_row_and_writes_nothing(scene, moderator, client, make):
    round_ = scene.round(preview=False, mode="csv import")
    body = f"email,room\nghost@example.org,1\n{scene.participants[0].email},12\n".encode()
    response = make.post(client, scene.path(f"/{round_.id}/import"),
                         {"file": (io.BytesIO(body), "rooms.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422
    page = text(response)
    assert "Nothing was imported: 2 rows need fixing." in page
    assert "Line 2: nobody with email ghost@example.org is in this round." in page
    assert "Line 3: there is no room &#39;12&#39;" in page
    assert db.session.scalar(select(func.count()).select_from(BreakoutAssignment)) == 0
    good = f"email,room\n{scene.participants[0].email},2\n".encode()
    response = make.post(client, scene.path(f"/{round_.id}/import"),
                         {"file": (io.BytesIO(good), "rooms.csv")}, content_type="multipart/form-data")
    assert response.status_code == 303
    assert services.room_of(round_.id, scene.participants[0].id).position == 1
    assert make.post(client, scene.path(f"/{round_.id}/import")).status_code == 400


def test_a_room_is_edited_in_place(scene, moderator, client, make):
    round_ = scene.round()
    room = round_.rooms[0]
    response = make.post(client, scene.path(f"/{round_.id}/rooms/{room.id}"),
                         {"name": "Open contracting", "topic": "Data", "video_url": "https://meet.example.org/r1"},
                         headers=HTMX)
    assert response.status_code == 200 and "Saved." in text(response)
    bad = make.post(client, scene.path(f"/{round_.id}/rooms/{room.id}"),
                    {"name": "Open contracting", "video_url": "http://insecure.example.org"}, headers=HTMX)
    assert bad.status_code == 400 and "https://" in text(bad) and 'value="http://insecure.example.org"' in text(bad)
    db.session.expire_all()
    assert db.session.get(type(room), room.id).video_url == "https://meet.example.org/r1"


def test_self_select_from_the_session_page(scene, make, client):
    round_ = scene.round(preview=False, mode="self-select")
    person = scene.participants[0]
    make.sign_in(client, person)
    room = round_.rooms[1]
    closed = make.post(client, scene.path(f"/{round_.id}/choose"), {"room_id": str(room.id)}, headers=HTMX)
    assert closed.status_code == 409 and "Choosing rooms is closed." in text(closed)
    services.set_choosing(round_, True)
    db.session.commit()
    chosen = make.post(client, scene.path(f"/{round_.id}/choose"), {"room_id": str(room.id)}, headers=HTMX)
    assert chosen.status_code == 200 and "Your choice" in text(chosen)
    assert services.my_choice(round_, person.id) == room.id


def test_deleting_a_draft_and_not_an_opened_round(scene, moderator, client, make):
    draft_id = scene.round(preview=False).id
    assert make.post(client, scene.path(f"/{draft_id}/delete")).status_code == 303
    assert db.session.get(BreakoutRound, draft_id) is None
    opened = scene.round(open_it=True)
    assert make.post(client, scene.path(f"/{opened.id}/delete")).status_code == 409


# Room pages, notes and help ----------------------------------------------------------------------------------

def test_a_participant_sees_their_room_and_not_another(scene, make, client):
    round_ = scene.round(open_it=True)
    room, other = round_.rooms[0], round_.rooms[1]
    member = services.members_by_room(round_)[room.id][0]
    make.sign_in(client, member)
    page = client.get(scene.path(f"/rooms/{room.id}"))
    assert page.status_code == 200
    assert f'data-live-breakout-room="{room.id}"' in text(page) and "You are in <strong>Room 1</strong>" in text(page)
    assert client.get(scene.path(f"/rooms/{other.id}")).status_code == 403
    assert client.get(scene.path("/rooms/999999")).status_code == 404


def test_notes_autosave_and_a_stale_revision_gets_409_with_both_texts(scene, make, client, app):
    round_ = scene.round(open_it=True)
    room = round_.rooms[0]
    ana, bo = services.members_by_room(round_)[room.id][:2]
    make.sign_in(client, ana)
    path = scene.path(f"/rooms/{room.id}/notes")
    saved = make.post(client, path, {"notes": "Ana's first line", "revision": "0"}, headers=HTMX)
    assert saved.status_code == 200 and "Saved, revision 1." in text(saved)
    assert 'id="notes-revision-' in text(saved) and 'value="1"' in text(saved)
    other = app.test_client()
    make.sign_in(other, bo)
    stale = make.post(other, path, {"notes": "Bo's <b>text</b>", "revision": "0"}, headers=HTMX)
    assert stale.status_code == 409
    body = text(stale)
    assert "Not saved." in body and "Ana&#39;s first line" in body and "Bo&#39;s &lt;b&gt;text&lt;/b&gt;" in body
    assert "Keep my text" in body and "Use their text" in body
    db.session.expire_all()
    assert db.session.get(type(room), room.id).notes == "Ana's first line"


def test_notes_by_someone_who_may_not_write_are_refused(scene, make, client):
    round_ = scene.round(open_it=True, notes_by_members="")
    room = round_.rooms[0]
    member = services.members_by_room(round_)[room.id][0]
    make.sign_in(client, member)
    response = make.post(client, scene.path(f"/rooms/{room.id}/notes"), {"notes": "x", "revision": "0"},
                         headers=HTMX)
    assert response.status_code == 403 and "rapporteur" in text(response)
    page = text(client.get(scene.path(f"/rooms/{room.id}")))
    assert "data-notes-form" not in page and "The rapporteur writes these notes." in page


def test_asking_for_help_alerts_once_and_the_desk_lists_it(scene, make, client, app):
    round_ = scene.round(open_it=True)
    room = round_.rooms[0]
    member = services.members_by_room(round_)[room.id][0]
    make.sign_in(client, member)
    first = make.post(client, scene.path(f"/rooms/{room.id}/help"), {"message": "Video is down"}, headers=HTMX)
    assert first.status_code == 200 and "The moderators have been alerted" in text(first)
    again = make.post(client, scene.path(f"/rooms/{room.id}/help"), {"message": ""}, headers=HTMX)
    assert "already alerted" in text(again)
    desk = app.test_client()
    make.sign_in(desk, scene.moderator)
    page = text(desk.get(scene.path(f"/{round_.id}")))
    assert "Room 1</strong> asks for help: “Video is down”" in page
    help_id = services.help_requests(round_)[0].id
    handled = make.post(desk, scene.path(f"/{round_.id}/help/{help_id}/handled"), headers=HTMX)
    assert handled.status_code == 200 and "Handled" in text(handled)


def test_the_plenary_notes_are_shared_once_the_round_is_closed(scene, make, client):
    round_ = scene.round(open_it=True)
    make.sign_in(client, scene.participants[0])
    assert client.get(scene.path(f"/{round_.id}/notes")).status_code == 403
    services.close_round(round_)
    db.session.commit()
    page = client.get(scene.path(f"/{round_.id}/notes"))
    assert page.status_code == 200 and "Notes from the breakout rooms" in text(page)


def test_the_session_page_has_the_breakout_slot_and_staff_a_link_to_the_desk(scene, make, client):
    make.sign_in(client, scene.participants[0])
    page = text(client.get(f"/w/{scene.code}/s/{scene.session.id}"))
    assert 'id="breakout-mine"' in page and "Run breakouts" not in page
    make.sign_in(client, scene.moderator)
    assert "Run breakouts" in text(client.get(f"/w/{scene.code}/s/{scene.session.id}"))


# Exports ---------------------------------------------------------------------------------------------------

def read_csv(response) -> list[list[str]]:
    body = text(response)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_notes_and_assignments_export(scene, moderator, client, make):
    round_ = scene.round(open_it=True)
    room = round_.rooms[0]
    services.save_notes(room, services_membership(scene), scene.moderator, "=cmd|' /C calc'!A0", 0)
    db.session.commit()
    markdown = client.get(scene.path(f"/{round_.id}/notes.md"))
    assert markdown.status_code == 200 and markdown.mimetype == "text/markdown"
    assert "## Room 1" in text(markdown)
    notes = read_csv(client.get(scene.path(f"/{round_.id}/notes.csv")))
    assert notes[0][:3] == ["room number", "room", "topic"] and notes[1][4].startswith("'=")
    assignments = read_csv(client.get(scene.path(f"/{round_.id}/assignments.csv")))
    assert len(assignments) == 13 and assignments[0][2] == "name"
    make.sign_in(client, scene.participants[0])
    assert client.get(scene.path(f"/{round_.id}/notes.csv")).status_code == 403


def services_membership(scene):
    from workshop.workshops.models import Membership

    return db.session.scalar(select(Membership).where(Membership.person_id == scene.moderator.id))
