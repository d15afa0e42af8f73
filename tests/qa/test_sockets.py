"""Participant actions over the live socket: asking, editing, withdrawing and upvoting, each acknowledged after
commit and each refusal answered with a clear message and nothing stored; and what the live pipe sends."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.live.test_access import statements_during
from tests.qa.conftest import QUESTION, fragments_of, question_count, questions_revision, stored, vote_count
from workshop.db import db
from workshop.live.broadcast import coalescer
from workshop.qa import services
from workshop.qa.models import Question, QuestionStatus
from workshop.workshops.models import Role

XSS = ["<script>alert(1)</script>", '<img src=x onerror=alert(1)>', '"><svg onload=alert(1)>']


def ask(send, socket, room, text="What is the threshold for open tenders?", **extra):
    return send(socket, "qa_ask", {"session": room.session.id, "text": text, **extra})


def counts_of(socket, question_id: int) -> list[tuple[int, int]]:
    """(version, votes) of every ``qa_counts`` entry the socket got for the question, in order."""
    return [(version, votes) for name, args in socket.events if name == "qa_counts"
            for qid, version, votes in args[0]["counts"] if qid == question_id]


# Asking -----------------------------------------------------------------------------------------------

def test_asking_is_acknowledged_after_commit_and_broadcast_to_the_session(room, join, send):
    asker, reader = join(room.participants[0]), join(room.participants[1])
    ack = ask(send, asker, room)
    assert ack["ok"] is True and ack["pending"] is False
    with db.engine.connect() as connection:  # committed, not merely flushed in the handler's transaction
        text = connection.execute(select(Question.text).where(Question.id == ack["question"])).scalar_one()
    assert text == "What is the threshold for open tenders?"
    reader.wait_for(lambda s: fragments_of(s, ack["question"]), what="the new question")
    fragment = fragments_of(reader, ack["question"])[0]
    assert f'data-append-to="questions-{room.session.id}"' in fragment
    assert "What is the threshold for open tenders?" in fragment


BAD_TEXT = [("", "Write a question first."), ("   \n\t ", "Write a question first."),
            ("x" * 501, "at most 500 characters"), (None, "Write a question first."), (42, "Write a question first.")]


def test_empty_whitespace_and_over_long_questions_are_refused(room, join, send):
    socket = join(room.participants[0])
    for text, message in BAD_TEXT:
        ack = ask(send, socket, room, text)
        assert ack["ok"] is False and ack["status"] == 400, text
        assert message in ack["message"], text
    assert question_count() == 0


def test_exactly_500_characters_is_accepted(room, join, send):
    assert ask(send, join(room.participants[0]), room, "y" * 500)["ok"] is True


def test_the_fourth_question_in_a_minute_is_refused(room, join, send):
    socket = join(room.participants[0])
    for n in range(3):
        assert ask(send, socket, room, f"Question number {n}?")["ok"] is True
    ack = ask(send, socket, room, "One too many?")
    assert ack["ok"] is False and ack["status"] == 429
    assert "You are asking questions too fast; wait" in ack["message"]
    assert question_count() == 3
    # Someone else is not held back by it (the window passing: tests/qa/test_limits.py).
    assert ask(send, join(room.participants[1]), room, "My first?")["ok"] is True


def test_a_non_member_may_not_ask(room, join, send, make, connect):
    outsider_workshop = make.workshop()
    outsider = make.member(outsider_workshop)
    socket = connect(outsider, outsider_workshop.code)  # connected to their own workshop
    ack = ask(send, socket, room)
    assert ack["ok"] is False and ack["status"] == 403
    assert ack["reason"] == "not a member" and "not a member of this workshop" in ack["message"]
    assert question_count() == 0


def test_unknown_sessions_and_bad_payloads_are_refused(room, join, send):
    socket = join(room.participants[0])
    assert send(socket, "qa_ask", {"session": 999999, "text": "Hello?"})["status"] == 404
    assert send(socket, "qa_ask", {"session": True, "text": "Hello?"})["status"] == 404
    assert send(socket, "qa_ask", "not a dict")["ok"] is False
    assert question_count() == 0


def test_a_banned_person_may_not_ask_or_edit(room, join, send):
    question = room.ask(room.participants[0])
    services.ban_asker(question)
    db.session.commit()
    socket = join(room.participants[0])
    ack = ask(send, socket, room)
    assert ack["ok"] is False and ack["status"] == 403 and "stopped you from posting" in ack["message"]
    assert send(socket, "qa_edit", {"question": question.id, "text": "Changed"})["status"] == 403
    assert question_count() == 1 and stored(question.id).edited_at is None


def test_blocked_words_are_refused_as_whole_words_ignoring_case(room, join, send):
    services.save_blocked_words(room.workshop.id, "Scam\nkick back")
    db.session.commit()
    socket = join(room.participants[0])
    ack = ask(send, socket, room, "Is this tender a SCAM?")
    assert ack["ok"] is False and ack["status"] == 400
    assert "does not allow (“scam”)" in ack["message"] and "rephrase" in ack["message"]
    assert ask(send, socket, room, "Who got a Kick  back?")["ok"] is True  # not the phrase: two spaces
    assert ask(send, socket, room, "Were there scams of this kind?")["ok"] is True  # not the whole word
    assert question_count() == 2


def test_html_and_script_are_stored_as_text_and_sent_escaped(room, join, send):
    reader, asker = join(room.participants[1]), join(room.participants[0])
    for payload in XSS:
        ack = ask(send, asker, room, payload)
        assert ack["ok"] is True
        assert stored(ack["question"]).text == payload
        reader.wait_for(lambda s: fragments_of(s, ack["question"]), what="the question")
        fragment = fragments_of(reader, ack["question"])[0]
        assert payload not in fragment
        escaped = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")
        assert escaped in fragment


# Anonymous questions and pre-moderation ---------------------------------------------------------------

def test_anonymous_asking_only_where_the_session_allows_it(room, join, send):
    socket = join(room.participants[0])
    ack = ask(send, socket, room, "Anonymous please?", anonymous=True)
    assert ack["ok"] is False and "does not allow anonymous" in ack["message"]
    room.settings(anonymous_allowed=True)
    reader = join(room.participants[1])
    ack = ask(send, socket, room, "Anonymous please?", anonymous=True)
    assert ack["ok"] is True and stored(ack["question"]).anonymous is True
    reader.wait_for(lambda s: fragments_of(s, ack["question"]), what="the question")
    fragment = fragments_of(reader, ack["question"])[0]
    assert "Anonymous" in fragment and room.participants[0].name not in fragment


def test_pre_moderated_questions_go_only_to_the_asker_and_the_desk_until_approved(room, join, send, make, client):
    room.settings(premoderation=True)
    asker, reader, desk = join(room.participants[0]), join(room.participants[1]), join(room.moderator)
    ack = ask(send, asker, room, "Awaiting approval?")
    assert ack["ok"] is True and ack["pending"] is True
    asker.wait_for(lambda s: any("Awaiting moderation" in f for f in fragments_of(s, ack["question"])))
    desk.wait_for(lambda s: any(f'id="queue-question-{ack["question"]}"' in f for f in s.collect()))
    assert fragments_of(reader, ack["question"]) == []
    # The approval (a moderator's HTTP action) reaches everyone.
    make.sign_in(client, room.moderator)
    assert make.post(client, f"{room.base}/{ack['question']}/approve", headers={"HX-Request": "true"}).status_code == 200
    reader.wait_for(lambda s: fragments_of(s, ack["question"]), what="the approved question")
    assert "Awaiting moderation" not in fragments_of(reader, ack["question"])[-1]


def test_editing_under_pre_moderation_needs_approval_again(room, join, send):
    question = room.ask(room.participants[0])
    room.settings(premoderation=True)
    ack = send(join(room.participants[0]), "qa_edit", {"question": question.id, "text": "Reworded?"})
    assert ack["ok"] is True
    assert stored(question.id).status == QuestionStatus.PENDING and stored(question.id).text == "Reworded?"


# Editing and withdrawing --------------------------------------------------------------------------------

def test_the_asker_edits_and_withdraws_their_own_question(room, join, send):
    question = room.ask(room.participants[0])
    socket, reader = join(room.participants[0]), join(room.participants[1])
    ack = send(socket, "qa_edit", {"question": question.id, "text": "  Reworded question?  "})
    assert ack["ok"] is True and ack["version"] == questions_revision(room.session.id)
    assert stored(question.id).text == "Reworded question?" and stored(question.id).edited_at is not None
    assert send(socket, "qa_withdraw", {"question": question.id})["ok"] is True
    assert stored(question.id).status == QuestionStatus.WITHDRAWN
    reader.wait_for(lambda s: any(" hidden " in f for f in fragments_of(s, question.id)), what="the removal")


def test_nobody_else_may_edit_or_withdraw_a_question(room, join, send):
    question = room.ask(room.participants[0])
    for person in (room.participants[1], room.moderator):
        socket = join(person)
        assert send(socket, "qa_edit", {"question": question.id, "text": "Hijacked"})["status"] == 403
        assert send(socket, "qa_withdraw", {"question": question.id})["status"] == 403
    assert stored(question.id).text.startswith("How do framework") and stored(question.id).status == "approved"


def test_an_answered_question_can_no_longer_be_changed(room, join, send):
    question = room.ask(room.participants[0])
    services.mark_answered(question)
    db.session.commit()
    socket = join(room.participants[0])
    ack = send(socket, "qa_edit", {"question": question.id, "text": "Too late"})
    assert ack["status"] == 409 and "can no longer be changed" in ack["message"]
    assert send(socket, "qa_withdraw", {"question": question.id})["status"] == 409


def test_an_edit_must_pass_the_same_text_rules(room, join, send):
    services.save_blocked_words(room.workshop.id, "scam")
    question = room.ask(room.participants[0])
    socket = join(room.participants[0])
    assert send(socket, "qa_edit", {"question": question.id, "text": " "})["status"] == 400
    assert send(socket, "qa_edit", {"question": question.id, "text": "z" * 501})["status"] == 400
    assert send(socket, "qa_edit", {"question": question.id, "text": "a scam"})["status"] == 400
    assert send(socket, "qa_edit", {"question": 999999, "text": "Hello"})["status"] == 404
    assert stored(question.id).edited_at is None


# Upvotes --------------------------------------------------------------------------------------------------

def test_an_upvote_is_acknowledged_with_the_stored_count_and_broadcast(room, join, send):
    question = room.ask(room.participants[0])
    voter, reader = join(room.participants[1]), join(room.participants[2])
    ack = send(voter, "qa_upvote", {"question": question.id, "on": True})
    assert ack == {"ok": True, "question": question.id, "on": True, "votes": 1, "version": questions_revision(room.session.id)}
    assert vote_count(question.id) == 1 and stored(question.id).votes == 1

    # As a count, or in the whole question when its asking was not sent yet (both go in the same flush).
    in_question = (str(question.id), str(ack["version"]), "1")
    reader.wait_for(lambda s: counts_of(s, question.id)[-1:] == [(ack["version"], 1)]
                    or in_question in QUESTION.findall("".join(s.fragments)), what="the one vote")


def test_an_upvote_asks_the_database_four_statements(room, join, send):
    """Upvotes come by the thousand: the question's row, the vote, the count and the revision; nothing else
    (the person and their membership were read when the page connected)."""
    question_id = room.ask(room.participants[0]).id
    voter = join(room.participants[1])
    statements = statements_during(lambda: send(voter, "qa_upvote", {"question": question_id, "on": True}))
    assert [statement.split()[0] for statement in statements] == ["SELECT", "INSERT", "UPDATE", "INSERT"]
    assert vote_count(question_id) == 1


def test_a_double_upvote_is_refused_and_counted_once(room, join, send):
    question = room.ask(room.participants[0])
    socket = join(room.participants[1])
    assert send(socket, "qa_upvote", {"question": question.id, "on": True})["ok"] is True
    second = send(socket, "qa_upvote", {"question": question.id, "on": True})
    assert second["ok"] is False and second["status"] == 409 and "already upvoted" in second["message"]
    # A second tab of the same person is the same person.
    assert send(join(room.participants[1]), "qa_upvote", {"question": question.id, "on": True})["status"] == 409
    assert vote_count(question.id) == 1 and stored(question.id).votes == 1


def test_an_upvote_is_toggled_off(room, join, send):
    question = room.ask(room.participants[0])
    socket = join(room.participants[1])
    first = send(socket, "qa_upvote", {"question": question.id, "on": True})
    off = send(socket, "qa_upvote", {"question": question.id, "on": False})
    assert off["ok"] is True and off["votes"] == 0 and off["version"] > first["version"]
    assert vote_count(question.id) == 0 and stored(question.id).votes == 0
    assert send(socket, "qa_upvote", {"question": question.id, "on": False})["status"] == 409
    assert stored(question.id).votes == 0


def test_many_people_upvote_and_the_count_matches_the_rows(room, join, send):
    question = room.ask(room.participants[0])
    for person in [*room.participants, room.moderator]:
        assert send(join(person), "qa_upvote", {"question": question.id, "on": True})["ok"] is True
    assert vote_count(question.id) == 5 == stored(question.id).votes


def test_bad_upvote_payloads_are_refused(room, join, send):
    question = room.ask(room.participants[0])
    socket = join(room.participants[1])
    for payload in ({"question": str(question.id), "on": True}, {"question": question.id, "on": "yes"},
                    {"question": True, "on": True}, [], None):
        assert send(socket, "qa_upvote", payload)["ok"] is False, payload
    assert vote_count(question.id) == 0


def test_pending_dismissed_and_answered_questions_cannot_be_upvoted(room, join, send):
    socket = join(room.participants[1])
    for change in (services.dismiss, services.mark_answered):
        question = room.ask(room.participants[0], f"About {change.__name__}?")
        change(question)
        db.session.commit()
        assert send(socket, "qa_upvote", {"question": question.id, "on": True})["status"] == 409
    room.settings(premoderation=True)
    pending = room.ask(room.participants[2], "Pending?")
    assert send(socket, "qa_upvote", {"question": pending.id, "on": True})["status"] == 409
    assert vote_count(pending.id) == 0


def test_a_non_member_may_not_upvote(room, send, make, connect):
    question = room.ask(room.participants[0])
    other = make.workshop()
    socket = connect(make.member(other), other.code)
    assert send(socket, "qa_upvote", {"question": question.id, "on": True})["status"] == 403
    assert vote_count(question.id) == 0


# What a (re)joining page gets, and coalescing -----------------------------------------------------------------

def test_a_joining_page_gets_its_list_with_its_own_votes_and_questions(room, join, send):
    room.settings(premoderation=True)
    mine = room.ask(room.participants[0], "My pending question?")
    theirs = room.ask(room.participants[1], "Their pending question?")
    approved = room.ask(room.participants[1], "Approved one?")
    services.approve(approved)
    db.session.commit()
    services.upvote(approved.id, room.participants[0], True)
    db.session.commit()
    socket = join(room.participants[0])
    socket.wait_for(lambda s: any(f'id="questions-{room.session.id}"' in f for f in s.collect()))
    listing = next(f for f in socket.fragments if f'id="questions-{room.session.id}"' in f)
    assert f'id="question-{mine.id}"' in listing and f'id="question-{approved.id}"' in listing
    assert f'id="question-{theirs.id}"' not in listing
    assert f'data-my-votes="{approved.id}"' in listing and f'data-my-questions="{mine.id}"' in listing
    assert 'id="queue-' not in listing  # the moderators' queue is not for participants


def listing_of(socket, room) -> str:
    socket.wait_for(lambda s: any(f'id="questions-{room.session.id}"' in f for f in s.collect()))
    return next(f for f in socket.fragments if f'id="questions-{room.session.id}"' in f)


def test_joining_pages_share_the_list_of_one_revision_and_the_next_change_reaches_later_ones(room, join):
    first = room.ask(room.participants[1], "First?")
    early = listing_of(join(room.participants[0]), room)
    assert early == listing_of(join(room.participants[2]), room), "the same revision, the same list"
    room.settings(premoderation=True)
    own = room.ask(room.participants[0], "Mine, awaiting moderation?")
    last = room.ask(room.participants[1], "Last?")
    services.approve(last)
    db.session.commit()
    later = listing_of(join(room.participants[0]), room)
    shown = [int(id_) for id_ in re.findall(r'<li id="question-(\d+)"', later)]
    assert shown == [first.id, own.id, last.id], "the person's own question in its place among everyone's"
    assert f'data-version="{questions_revision(room.session.id)}"' in later
    other = listing_of(join(room.participants[2]), room)
    assert [int(id_) for id_ in re.findall(r'<li id="question-(\d+)"', other)] == [first.id, last.id]


def test_a_moderator_joining_gets_the_queue_too(room, join):
    room.settings(premoderation=True)
    pending = room.ask(room.participants[0], "Pending?")
    socket = join(room.moderator)
    socket.wait_for(lambda s: any(f'id="queue-{room.session.id}"' in f for f in s.collect()))
    queue = next(f for f in socket.fragments if f'id="queue-{room.session.id}"' in f)
    assert f'id="queue-question-{pending.id}"' in queue and "Awaiting moderation" in queue


def test_a_burst_of_upvotes_is_one_small_count_message_with_the_final_count(room, join, send, app):
    question = room.ask(room.participants[0])
    coalescer().flush()  # the question's own broadcast goes out before the reader's page opens
    reader = join(room.participants[0])
    reader.collect()
    already = len(fragments_of(reader, question.id))
    app.config["LIVE_FLUSH_SECONDS"] = 0.05
    sockets = [join(person) for person in [*room.participants[1:], room.moderator]]
    for socket in sockets:
        send(socket, "qa_upvote", {"question": question.id, "on": True})
    final = questions_revision(room.session.id)
    reader.wait_for(lambda s: counts_of(s, question.id)[-1:] == [(final, 4)], what="4 votes at the final revision")
    counts = counts_of(reader, question.id)
    assert len(counts) < len(sockets)  # coalesced: fewer messages than votes
    assert [version for version, _ in counts] == sorted(version for version, _ in counts)
    assert len(fragments_of(reader, question.id)) == already  # the question itself was not sent again
    assert all(args[0]["session"] == room.session.id for name, args in reader.events if name == "qa_counts")


def test_a_change_beyond_the_votes_sends_the_whole_question_again(room, join, send, app):
    question = room.ask(room.participants[0])
    reader = join(room.participants[2])
    send(join(room.participants[1]), "qa_upvote", {"question": question.id, "on": True})
    send(join(room.participants[0]), "qa_edit", {"question": question.id, "text": "Edited: what about price changes?"})
    reader.wait_for(lambda s: any("Edited: what about" in f for f in fragments_of(s, question.id)),
                    what="the edited question")
    latest = [f for f in fragments_of(reader, question.id) if "Edited: what about" in f][-1]
    assert 'data-votes="1"' in latest
