"""Broadcast jobs run outside any request: templates that build links must still render there."""

import logging
from datetime import datetime, timezone

from workshop.agenda.models import AgendaSession, SessionKind
from workshop.db import db

from workshop.live.broadcast import coalescer
from workshop.polls import services
from workshop.polls.models import PollKind
from workshop.workshops.models import Role


def test_a_results_broadcast_with_links_renders_without_a_server_name(app, make, caplog):
    app.config["SERVER_NAME"] = None
    workshop = make.workshop()
    voter = make.member(workshop, Role.PARTICIPANT)
    session = AgendaSession(workshop_id=workshop.id, kind=SessionKind.PLENARY, title="Plenary",
                            starts_at=datetime(2023, 7, 18, 6, tzinfo=timezone.utc),
                            ends_at=datetime(2023, 7, 18, 7, tzinfo=timezone.utc))
    db.session.add(session)
    db.session.commit()
    poll = services.create_poll(session, {"kind": PollKind.OPEN_TEXT.value, "question": "Ideas?"})
    db.session.commit()
    services.open_poll(poll)
    db.session.commit()
    services.cast_vote(poll.id, voter, {"text": "Open contracting"})  # announced: its broadcast waits for the flush

    with caplog.at_level(logging.ERROR):
        coalescer().flush()  # the staff fragment has hide/show links for each answer
    assert not [r for r in caplog.records if "broadcast" in r.getMessage()], caplog.text
