"""Note saves (120 a minute) and requests for help (3 new ones a minute) are limited per person: the next is
refused with a clear message and a 429, and nothing of it is stored. Both come only over HTTP."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.breakouts.test_web import HTMX, text
from workshop.breakouts import services
from workshop.breakouts.models import BreakoutRoom, HelpRequest
from workshop.db import db

NOTE_SAVE_LIMIT, HELP_REQUEST_LIMIT = 120, 3


def test_the_note_save_after_the_limit_is_refused_and_the_notes_stay(scene, make, client):
    round_ = scene.round(open_it=True)
    room = round_.rooms[0]
    writer = services.members_by_room(round_)[room.id][0]
    make.sign_in(client, writer)
    path, token = scene.path(f"/rooms/{room.id}/notes"), make.csrf_token(client)
    for n in range(NOTE_SAVE_LIMIT):
        saved = make.post(client, path, {"notes": f"Line {n}", "revision": str(n), "csrf_token": token},
                          headers=HTMX)
        assert saved.status_code == 200, n

    refused = make.post(client, path, {"notes": "One save too many", "revision": str(NOTE_SAVE_LIMIT),
                                       "csrf_token": token}, headers=HTMX)

    assert refused.status_code == 429
    assert "You are saving the notes too often; wait " in text(refused)
    assert "Your text is still here." in text(refused)
    db.session.expire_all()
    kept = db.session.get(BreakoutRoom, room.id)
    assert (kept.notes, kept.notes_revision) == (f"Line {NOTE_SAVE_LIMIT - 1}", NOTE_SAVE_LIMIT)


def test_a_new_request_for_help_after_the_limit_is_refused_and_the_desk_is_not_alerted(scene, make, client):
    round_ = scene.round(open_it=True)
    room = round_.rooms[0]
    member = services.members_by_room(round_)[room.id][0]
    make.sign_in(client, member)
    path = scene.path(f"/rooms/{room.id}/help")
    for n in range(HELP_REQUEST_LIMIT):
        alerted = make.post(client, path, {"message": f"Help {n}"}, headers=HTMX)
        assert alerted.status_code == 200 and "The moderators have been alerted" in text(alerted), n
        # Pressed again while it waits: "already alerted", and it does not count.
        assert "already alerted" in text(make.post(client, path, {"message": ""}, headers=HTMX))
        services.handle_help(round_, services.help_requests(round_)[0].id)  # a moderator deals with it
        db.session.commit()

    refused = make.post(client, path, {"message": "Once more"}, headers=HTMX)

    assert refused.status_code == 429
    assert "You have asked for help several times just now; wait " in text(refused)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(HelpRequest)) == HELP_REQUEST_LIMIT
    assert db.session.scalar(select(func.count()).select_from(HelpRequest)
                             .where(HelpRequest.handled_at.is_(None))) == 0
