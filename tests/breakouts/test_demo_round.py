"""The demo workshop comes with a breakout round ready to open."""

from sqlalchemy import select

from workshop.breakouts import services
from workshop.breakouts.models import BreakoutRound, RoundState
from workshop.db import db


def test_the_demo_has_a_previewed_draft_round_in_its_first_breakout_session(app):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    round_ = db.session.scalar(select(BreakoutRound))
    assert round_.state == RoundState.DRAFT and round_.rooms[0].label.startswith("Legal barriers: ")
    shown = services.preview(round_)
    assert shown.assigned == 50 and shown.quality.sizes == (10, 10, 10, 10, 10) and not shown.quality.notes
