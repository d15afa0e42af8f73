"""The agenda on paper: Chromium prints it with the print stylesheet, one page per day."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from workshop.agenda.models import AgendaSession, SessionKind
from workshop.db import db
from workshop.workshops.models import Role

pytestmark = pytest.mark.browser
COLOMBO = ZoneInfo("Asia/Colombo")


def printed_pages(page, pdf: Path) -> list[str]:
    """The page as Chromium prints it to A4, read back as each printed page's text."""
    page.pdf(path=str(pdf), format="A4")
    return [printed.extract_text() for printed in PdfReader(pdf).pages]


def _session(workshop, day: int, hour: int, title: str) -> AgendaSession:
    session = AgendaSession(workshop_id=workshop.id, kind=SessionKind.PLENARY, title=title,
                            starts_at=datetime(2023, 7, day, hour, tzinfo=COLOMBO),
                            ends_at=datetime(2023, 7, day, hour + 1, tzinfo=COLOMBO))
    db.session.add(session)
    return session


def test_the_printed_agenda_has_one_page_per_day_and_no_controls(make, open_context, sign_in, tmp_path):
    workshop = make.workshop()
    for day in (18, 19, 20):
        for hour in (10, 12, 14):
            _session(workshop, day, hour, f"Session {day}/{hour}")
    organizer = make.member(workshop, Role.ORGANIZER, timezone="Asia/Colombo")
    db.session.commit()

    context = open_context(locale="en-GB")
    sign_in(context, organizer)
    page = context.new_page()
    page.goto(f"/w/{workshop.code}/agenda")
    pages = printed_pages(page, tmp_path / "agenda.pdf")
    assert len(pages) == 3, pages
    for number, day in enumerate(("18 July 2023", "19 July 2023", "20 July 2023")):
        assert day in pages[number]
        assert f"Session {18 + number}/10" in pages[number] and f"Session {18 + number}/14" in pages[number]
    text = "\n".join(pages)
    for control in ("Add a session", "Delete", "Sign out", "Show times in"):
        assert control not in text
