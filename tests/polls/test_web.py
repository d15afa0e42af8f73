"""The moderator's poll desk over HTTP: who may use it, creating polls, each action, and the CSV exports."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from workshop.db import db
from workshop.live import revisions
from workshop.polls import services
from workshop.polls.models import Poll, PollKind, PollState
from workshop.workshops.models import Role

HTMX = {"HX-Request": "true"}


@pytest.fixture
def moderator(room, make, client):
    person = make.member(room.workshop, Role.MODERATOR)
    make.sign_in(client, person)
    return person


def desk(room) -> str:
    return f"/w/{room.workshop.code}/s/{room.session.id}/polls"


def act(room, poll, action: str) -> str:
    return f"{desk(room)}/{poll.id}/{action}"


def poll_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Poll))


def vote(poll, person, answer: dict) -> int:
    return services.cast_vote(poll.id, person, answer)


def read_csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# Who may see the desk and the projector -------------------------------------------------------

PAGES = ("polls", "projector")


def test_staff_see_the_desk_and_the_projector(room, make, client):
    for role in (Role.MODERATOR, Role.ORGANIZER):
        make.sign_in(client, make.member(room.workshop, role))
        for page in PAGES:
            response = client.get(f"/w/{room.workshop.code}/s/{room.session.id}/{page}")
            assert response.status_code == 200, (role, page)
            assert f'data-live-session="{room.session.id}"' in response.get_data(as_text=True)


def test_a_participant_may_not_see_the_desk_or_the_projector(room, make, client):
    make.sign_in(client, room.participants[0])
    for page in PAGES:
        assert client.get(f"/w/{room.workshop.code}/s/{room.session.id}/{page}").status_code == 403


def test_a_moderator_of_another_workshop_may_not(room, make, client):
    make.sign_in(client, make.member(make.workshop(), Role.MODERATOR))
    for page in PAGES:
        assert client.get(f"/w/{room.workshop.code}/s/{room.session.id}/{page}").status_code == 403


def test_someone_not_signed_in_is_sent_to_sign_in(room, client):
    for page in PAGES:
        response = client.get(f"/w/{room.workshop.code}/s/{room.session.id}/{page}")
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_a_participant_may_not_create_or_act(room, make, client):
    poll = room.poll(PollKind.SINGLE.value, open_it=False)
    make.sign_in(client, room.participants[0])
    assert make.post(client, desk(room), {"kind": "single choice", "question": "Q?", "options": "a\nb"}).status_code == 403
    assert make.post(client, act(room, poll, "open"), {}).status_code == 403
    db.session.refresh(poll)
    assert poll.state == PollState.DRAFT and poll_count() == 1


# Creating a poll ------------------------------------------------------------------------------------

def test_a_moderator_creates_a_draft(room, moderator, make, client):
    response = make.post(client, desk(room), {"kind": "multiple choice", "question": "Which  methods?",
                                              "options": "Open tender\n\nDirect award\nFramework",
                                              "max_picks": "2", "scale_max": "5", "ranking_method": "borda",
                                              "anonymous": "y"}, headers=HTMX)
    assert response.status_code == 200
    poll = db.session.scalar(select(Poll))
    assert (poll.kind, poll.question, poll.state, poll.max_picks, poll.anonymous, poll.allow_change) == \
        (PollKind.MULTIPLE, "Which methods?", PollState.DRAFT, 2, True, False)
    assert [o.text for o in poll.options] == ["Open tender", "Direct award", "Framework"]
    html = response.get_data(as_text=True)
    assert f'id="poll-control-{poll.id}"' in html and 'hx-swap-oob="afterbegin:#poll-controls"' in html
    assert "Poll saved as a draft." in html


GOOD = {"kind": "single choice", "question": "Which method?", "options": "Open tender\nDirect award",
        "max_picks": "2", "scale_max": "5", "ranking_method": "borda"}


BAD_FIELDS = [
    ("kind", "poll of polls", "Not a valid choice"),
    ("kind", "", "Not a valid choice"),
    ("question", "", "This field is required"),
    ("question", "   ", "This field is required"),
    ("question", "x" * 301, "Field cannot be longer than 300 characters"),
    ("options", "Only one", "Give at least two options, one per line."),
    ("options", "", "Give at least two options, one per line."),
    ("options", "Same\nsame", "Two options are the same."),
    ("options", "ok\n" + "x" * 201, "Each option can have at most 200 characters."),
    ("options", "\n".join(f"Option {n}" for n in range(21)), "At most 20 options."),
    ("max_picks", "zero", "Not a valid integer value"),
    ("max_picks", "0", "Number must be between 1 and 20"),
    ("scale_max", "7", "Not a valid choice"),
    ("ranking_method", "coin toss", "Not a valid choice"),
    ("duration_seconds", "5", "Number must be between 10 and 3600"),
    ("duration_seconds", "3601", "Number must be between 10 and 3600"),
    ("duration_seconds", "soon", "Not a valid integer value"),
]


def test_each_bad_field_is_refused_with_its_message_and_nothing_is_created(room, moderator, make, client):
    for field, value, message in BAD_FIELDS:
        response = make.post(client, desk(room), {**GOOD, field: value}, headers=HTMX)
        assert response.status_code == 400, (field, value)
        html = response.get_data(as_text=True)
        assert 'id="poll-form"' in html and message in html, (field, value, message)
    assert poll_count() == 0


def test_more_picks_than_options_is_refused(room, moderator, make, client):
    response = make.post(client, desk(room), {**GOOD, "kind": "multiple choice", "max_picks": "3"}, headers=HTMX)
    assert response.status_code == 400
    assert "between 1 and the number of options" in response.get_data(as_text=True)
    assert poll_count() == 0


def test_creating_without_the_csrf_token_is_refused(room, moderator, client):
    response = client.post(desk(room), data=GOOD)
    assert response.status_code == 400
    assert poll_count() == 0


def test_acting_without_the_csrf_token_is_refused(room, moderator, client):
    poll = room.poll(PollKind.SINGLE.value, open_it=False)
    assert client.post(act(room, poll, "open")).status_code == 400
    db.session.refresh(poll)
    assert poll.state == PollState.DRAFT


# Actions -------------------------------------------------------------------------------------------

def test_open_close_reopen(room, moderator, make, client):
    poll = room.poll(PollKind.SINGLE.value, open_it=False)
    response = make.post(client, act(room, poll, "open"), headers=HTMX)
    assert response.status_code == 200 and ">Close</button>" in response.get_data(as_text=True)
    db.session.refresh(poll)
    assert poll.state == PollState.OPEN and poll.opened_at is not None
    vote(poll, room.participants[0], {"option": poll.options[0].id})

    response = make.post(client, act(room, poll, "close"), headers=HTMX)
    assert response.status_code == 200 and ">Reopen</button>" in response.get_data(as_text=True)
    db.session.refresh(poll)
    assert poll.state == PollState.CLOSED and poll.closed_at is not None

    assert make.post(client, act(room, poll, "open"), headers=HTMX).status_code == 200
    db.session.refresh(poll)
    assert poll.state == PollState.OPEN and services.results(poll).voters == 1, "reopening keeps the ballots"


def test_open_with_a_countdown_sets_when_it_closes(room, moderator, make, client):
    poll = room.poll(PollKind.SINGLE.value, open_it=False, duration_seconds="60")
    assert make.post(client, act(room, poll, "open"), headers=HTMX).status_code == 200
    db.session.refresh(poll)
    assert poll.closes_at is not None
    assert 59 <= (poll.closes_at - poll.opened_at).total_seconds() <= 61


def polls_revision(poll: Poll) -> int:
    return revisions.current(services.live_target(poll.session_id))


def test_show_and_hide_results(room, moderator, make, client):
    poll = room.poll(PollKind.SINGLE.value)
    revision = polls_revision(poll)
    response = make.post(client, act(room, poll, "show"), headers=HTMX)
    assert response.status_code == 200 and "Hide results" in response.get_data(as_text=True)
    db.session.refresh(poll)
    assert poll.results_visible and polls_revision(poll) > revision
    response = make.post(client, act(room, poll, "hide"), headers=HTMX)
    assert "Show results" in response.get_data(as_text=True)
    db.session.refresh(poll)
    assert not poll.results_visible


def test_duplicate_makes_a_new_draft_without_ballots(room, moderator, make, client):
    poll = room.poll(PollKind.MULTIPLE.value, max_picks="2", anonymous="y")
    vote(poll, room.participants[0], {"options": [poll.options[0].id]})
    response = make.post(client, act(room, poll, "duplicate"), headers=HTMX)
    assert response.status_code == 200
    copy = db.session.scalar(select(Poll).where(Poll.id != poll.id))
    assert (copy.state, copy.kind, copy.question, copy.max_picks, copy.anonymous) == \
        (PollState.DRAFT, poll.kind, poll.question, 2, True)
    assert [o.text for o in copy.options] == [o.text for o in poll.options]
    assert services.results(copy).voters == 0
    html = response.get_data(as_text=True)
    assert html.index(f'id="poll-control-{copy.id}"') < html.index(f'id="poll-control-{poll.id}"')


def test_delete_a_draft(room, moderator, make, client):
    poll = room.poll(PollKind.SINGLE.value, open_it=False)
    response = make.post(client, act(room, poll, "delete"), headers=HTMX)
    assert response.status_code == 200 and response.get_data(as_text=True) == ""
    assert poll_count() == 0


@pytest.mark.parametrize("state,action,message", [
    ("draft", "close", "The poll is not open."),
    ("open", "open", "The poll is already open."),
    ("closed", "close", "The poll is not open."),
    ("open", "delete", "Only a draft can be deleted"),
    ("closed", "delete", "Only a draft can be deleted"),
])
def test_an_invalid_transition_is_a_conflict_with_a_message(room, moderator, make, client, state, action, message):
    poll = room.poll(PollKind.SINGLE.value, open_it=state != "draft")
    if state == "closed":
        services.close_poll(poll)
        db.session.commit()
    revision = polls_revision(poll)
    response = make.post(client, act(room, poll, action), headers=HTMX)
    assert response.status_code == 409
    assert response.headers["HX-Retarget"] == "#htmx-errors"
    assert message in response.get_data(as_text=True)
    db.session.refresh(poll)
    assert poll.state == PollState(state) and polls_revision(poll) == revision
    assert poll_count() == 1


def test_unknown_action_poll_or_session_is_not_found(room, moderator, make, client):
    poll = room.poll(PollKind.SINGLE.value, open_it=False)
    assert make.post(client, act(room, poll, "explode")).status_code == 404
    assert make.post(client, f"{desk(room)}/999999/open").status_code == 404
    base = f"/w/{room.workshop.code}/s/999999/polls"
    assert client.get(base).status_code == 404
    assert make.post(client, f"{base}/{poll.id}/open").status_code == 404
    assert client.get(f"/w/{room.workshop.code}/s/999999/projector").status_code == 404
    db.session.refresh(poll)
    assert poll.state == PollState.DRAFT


def test_a_poll_of_another_session_is_not_found_here(room, moderator, make, client):
    from tests.polls.conftest import add_session

    other_session = add_session(room.workshop)
    poll = room.poll(PollKind.SINGLE.value, open_it=False)
    elsewhere = f"/w/{room.workshop.code}/s/{other_session.id}/polls/{poll.id}"
    for action in ("open", "duplicate", "delete"):
        assert make.post(client, f"{elsewhere}/{action}").status_code == 404
    assert client.get(f"{elsewhere}/results.csv").status_code == 404
    assert client.get(f"{elsewhere}/ballots.csv").status_code == 404
    db.session.refresh(poll)
    assert poll.state == PollState.DRAFT and poll_count() == 1


def test_a_session_of_another_workshop_is_not_found(room, moderator, make, client):
    from tests.polls.conftest import add_session

    foreign = add_session(make.workshop())
    assert client.get(f"/w/{room.workshop.code}/s/{foreign.id}/polls").status_code == 404


def test_hiding_an_open_text_answer(room, moderator, make, client):
    poll = room.poll(PollKind.OPEN_TEXT.value, results_visible="y")
    vote(poll, room.participants[0], {"text": "Publish every contract"})
    ballot = services.my_ballot(poll, room.participants[0])
    response = make.post(client, f"{desk(room)}/{poll.id}/answers/{ballot.id}/hide", headers=HTMX)
    assert response.status_code == 200 and ">Show</button>" in response.get_data(as_text=True)
    db.session.refresh(ballot)
    assert ballot.hidden
    make.post(client, f"{desk(room)}/{poll.id}/answers/{ballot.id}/show", headers=HTMX)
    db.session.refresh(ballot)
    assert not ballot.hidden
    assert make.post(client, f"{desk(room)}/{poll.id}/answers/{ballot.id}/explode").status_code == 404
    assert make.post(client, f"{desk(room)}/{poll.id}/answers/999999/hide").status_code == 404


def test_the_desk_lists_the_sessions_polls_newest_first(room, moderator, client):
    first = room.poll(PollKind.SINGLE.value, open_it=False, question="First question?")
    second = room.poll(PollKind.RATING.value, question="Second question?")
    html = client.get(desk(room)).get_data(as_text=True)
    assert html.index(f'id="poll-control-{second.id}"') < html.index(f'id="poll-control-{first.id}"')


# CSV exports ---------------------------------------------------------------------------------------

def results_csv(client, room, poll) -> list[list[str]]:
    response = client.get(f"{desk(room)}/{poll.id}/results.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return read_csv(response)


def test_results_csv_of_a_single_choice_poll_while_open_and_after_close(room, moderator, client):
    poll = room.poll(PollKind.SINGLE.value, options="=SUM(A1)\nDirect award\n@cmd")
    a, b, _ = (o.id for o in poll.options)
    for person, option in zip(room.participants, [a, a, b]):
        vote(poll, person, {"option": option})
    rows = results_csv(client, room, poll)
    assert rows[0] == ["question", poll.question, "voters", "3"]
    assert rows[1:] == [["answer", "votes", "percent"], ["'=SUM(A1)", "2", "66.7"], ["Direct award", "1", "33.3"],
                        ["'@cmd", "0", "0.0"]]
    services.close_poll(poll)
    db.session.commit()
    assert results_csv(client, room, poll) == rows


def test_results_csv_of_a_multiple_choice_poll(room, moderator, client):
    poll = room.poll(PollKind.MULTIPLE.value, max_picks="2")
    a, b, c = (o.id for o in poll.options)
    vote(poll, room.participants[0], {"options": [a, b]})
    vote(poll, room.participants[1], {"options": [a]})
    assert results_csv(client, room, poll)[2:] == [["Open tender", "2", "100.0"], ["Framework agreement", "1", "50.0"],
                                                   ["Direct award", "0", "0.0"]]


def test_results_csv_of_a_rating_poll(room, moderator, client):
    poll = room.poll(PollKind.RATING.value, scale_max="5")
    for person, rating in zip(room.participants, [5, 4, 4, 1]):
        vote(poll, person, {"rating": rating})
    rows = results_csv(client, room, poll)
    assert rows[0][3] == "4"
    assert rows[2:] == [["1", "1", "25.0"], ["2", "0", "0.0"], ["3", "0", "0.0"], ["4", "2", "50.0"],
                        ["5", "1", "25.0"]]


def test_results_csv_of_a_word_cloud(room, moderator, client):
    poll = room.poll(PollKind.WORDCLOUD.value)
    for person, word in zip(room.participants, ["Transparency", " transparency ", "=1+1", "Speed"]):
        vote(poll, person, {"text": word})
    rows = results_csv(client, room, poll)
    assert rows[1] == ["answer", "count"]
    assert sorted(rows[2:]) == sorted([["transparency", "2"], ["'=1+1", "1"], ["speed", "1"]])


def test_results_csv_of_an_open_text_poll(room, moderator, client):
    poll = room.poll(PollKind.OPEN_TEXT.value)
    vote(poll, room.participants[0], {"text": "Publish contracts"})
    vote(poll, room.participants[1], {"text": "-2+3 is a formula"})
    services.set_answer_hidden(poll, services.my_ballot(poll, room.participants[1]).id, True)
    db.session.commit()
    rows = results_csv(client, room, poll)
    assert rows[1] == ["answer", "hidden", "time (UTC)"]
    assert [row[:2] for row in rows[2:]] == [["Publish contracts", ""], ["'-2+3 is a formula", "yes"]]


def test_results_csv_of_a_ranking_poll(room, moderator, client):
    poll = room.poll(PollKind.RANKING.value, ranking_method="borda")
    a, b, c = (o.id for o in poll.options)
    vote(poll, room.participants[0], {"options": [a, b, c]})
    vote(poll, room.participants[1], {"options": [b, a, c]})
    vote(poll, room.participants[2], {"options": [a, c, b]})
    rows = results_csv(client, room, poll)
    assert rows[1] == ["option", "mean rank", "Borda points"]
    assert rows[2:] == [["Open tender", "1.33", "5"], ["Framework agreement", "2.0", "3"], ["Direct award", "2.67", "1"]]


def test_ballots_csv_names_the_voters_of_a_named_poll(room, moderator, client):
    poll = room.poll(PollKind.SINGLE.value, options="=HYPERLINK(\"x\")\nDirect award")
    first, second = room.participants[:2]
    vote(poll, first, {"option": poll.options[0].id})
    vote(poll, second, {"option": poll.options[1].id})
    for state in ("open", "closed"):
        response = client.get(f"{desk(room)}/{poll.id}/ballots.csv")
        assert response.status_code == 200
        rows = read_csv(response)
        assert rows[0] == ["name", "email", "answer", "time (UTC)"]
        assert [row[:3] for row in rows[1:]] == [[first.name, first.email, "'=HYPERLINK(\"x\")"],
                                                 [second.name, second.email, "Direct award"]]
        if state == "open":
            services.close_poll(poll)
            db.session.commit()


def test_ballots_csv_of_an_anonymous_poll_is_refused(room, moderator, client):
    poll = room.poll(PollKind.SINGLE.value, anonymous="y")
    vote(poll, room.participants[0], {"option": poll.options[0].id})
    response = client.get(f"{desk(room)}/{poll.id}/ballots.csv")
    assert response.status_code == 403
    assert "anonymous" in response.get_data(as_text=True)
    assert room.participants[0].email not in response.get_data(as_text=True)
    assert results_csv(client, room, poll)[2][1] == "1", "its results can still be exported"


def test_exports_are_for_staff_only(room, make, client):
    poll = room.poll(PollKind.SINGLE.value)
    make.sign_in(client, room.participants[0])
    for export in ("results.csv", "ballots.csv"):
        assert client.get(f"{desk(room)}/{poll.id}/{export}").status_code == 403
