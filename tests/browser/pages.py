"""Every page the app has, in one place: the accessibility and phone-width checks visit each.

A feature that adds a page adds its entry here. ``path`` is a template filled
from the scene the test builds: ``{code}`` (the workshop), ``{invite}`` (a
participant's invite link path), ``{join_code}``. ``then``, if given, is done
on the loaded page to reach the page to check (say, submitting a form);
``status`` is what the server answers to ``path``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

IMPORT_WITH_ERRORS = (
    "name,email,country,organization,role,local/overseas\n"
    "Asha Valid,asha@example.org,NP,Audit Office,participant,overseas\n"
    "Bad Email,not-an-email,LK,,participant,local\n"
    "Unknown Country,uc@example.org,Atlantis,,participant,local\n"
    ",noname@example.org,IN,,participant,overseas\n"
    "Asha Again,asha@example.org,NP,,participant,overseas\n"
).encode()


def upload_import_with_errors(page) -> None:
    page.set_input_files("#import-file", files=[{"name": "participants.csv", "mimeType": "text/csv",
                                                 "buffer": IMPORT_WITH_ERRORS}])
    page.get_by_role("button", name="Preview import").click()
    page.wait_for_url("**/people/import")
    page.get_by_role("heading", name="Rows with errors").wait_for()


def add_session_in_editor(page) -> None:
    """Add a session through the agenda's htmx editor (its default times: 09:00-10:00 on the first day)."""
    page.get_by_role("button", name="Add a session").click()
    editor = page.locator("form.session-form")
    editor.get_by_label("Title").fill("Opening session")
    editor.get_by_label("Video room link").fill("https://meet.example.org/apo")
    editor.get_by_role("button", name="Add session").click()
    page.get_by_role("status").filter(has_text="Added").wait_for()


def open_agenda_editor(page) -> None:
    add_session_in_editor(page)
    page.get_by_role("button", name="Add a session").click()
    page.locator("form.session-form").wait_for()


def open_session_page(page) -> None:
    add_session_in_editor(page)
    page.get_by_role("link", name="Opening session").first.click()
    page.wait_for_url("**/s/*")


def open_poll_desk(page) -> None:
    """From a new session's page to its poll desk, with a poll prepared there and opened."""
    open_session_page(page)
    page.goto(page.url + "/polls")
    form = page.locator("#poll-form")
    form.get_by_label("Question").fill("Which procurement method first?")
    form.get_by_label("Options").fill("Open tender\nFramework agreement\nDirect award")
    form.get_by_role("button", name="Save as draft").click()
    page.get_by_role("status").filter(has_text="Poll saved as a draft.").wait_for()
    page.locator(".poll-control").first.get_by_role("button", name="Open", exact=True).click()
    page.locator(".poll-control .badge.open").first.wait_for()


def open_run_of_show(page) -> None:
    """A new session's run-of-show, one click from its page, with an open poll."""
    open_poll_desk(page)
    page.goto(page.url.removesuffix("/polls"))
    page.get_by_text("Run of show", exact=True).click()
    page.wait_for_url("**/run-of-show")
    page.locator(".poll-control .badge.open").first.wait_for()


def open_projector(page) -> None:
    """The projector view of a session with an open poll, once the poll has arrived over the socket."""
    open_poll_desk(page)
    page.goto(page.url.removesuffix("/polls") + "/projector")
    page.locator(".projector .poll").first.wait_for()


def create_report_slots(page) -> None:
    """Slots for the participants' countries; the check visits the page twice, and the second time they exist."""
    if page.locator("#report-rows a").count() == 0:
        page.get_by_role("button", name="Create slots").click()
        page.get_by_role("status").filter(has_text="Created").wait_for()


def open_report_slot(page) -> None:
    create_report_slots(page)
    page.locator("#report-rows a").first.click()
    page.wait_for_url("**/reports/*")
    page.get_by_role("heading", name="Upload the report").wait_for()


def open_question_moderation(page) -> None:
    open_session_page(page)
    page.get_by_role("link", name="Moderate questions").click()
    page.wait_for_url("**/questions/moderate")


def open_questions_projector(page) -> None:
    open_session_page(page)
    page.get_by_role("link", name="Questions on the projector").click()
    page.wait_for_url("**/questions/projector")


def open_breakout_desk(page) -> None:
    open_session_page(page)
    page.get_by_role("link", name="Run breakouts").click()
    page.wait_for_url("**/breakouts")


def close_open_rounds(page) -> None:
    """The check visits each page twice, the second time on the same session: close what the first opened."""
    while page.locator("tr:has(.badge.open) a").count():
        page.locator("tr:has(.badge.open) a").first.click()
        page.get_by_role("button", name="Close: everyone back to the plenary").click()
        page.get_by_test_id("round-state").filter(has_text="Closed").wait_for()
        page.get_by_role("link", name="All rounds").click()
        page.wait_for_url("**/breakouts")


def open_breakout_round(page) -> None:
    """A round created on the desk, previewed and opened."""
    open_breakout_desk(page)
    close_open_rounds(page)
    page.get_by_role("spinbutton", name="Number of rooms").fill("2")
    page.get_by_role("button", name="Create round").click()
    page.wait_for_url("**/breakouts/*")
    page.get_by_role("button", name="Make a preview").click()
    page.get_by_role("status").filter(has_text="Preview made").wait_for()
    page.get_by_role("button", name="Open the round").click()
    page.get_by_test_id("round-state").filter(has_text="Open").wait_for()


def open_breakout_room(page) -> None:
    open_breakout_round(page)
    page.locator(".breakout-presence a").first.click()
    page.wait_for_url("**/breakouts/rooms/*")
    page.get_by_role("heading", name="Notes").wait_for()


def open_session_during_breakouts(page) -> None:
    open_breakout_round(page)
    page.locator("hgroup").get_by_role("link").first.click()
    page.wait_for_url("**/s/*")
    page.get_by_role("heading", name="Breakout rooms: Round").wait_for()


def open_breakout_notes(page) -> None:
    open_breakout_round(page)
    page.get_by_role("button", name="Close: everyone back to the plenary").click()
    page.get_by_test_id("round-state").filter(has_text="Closed").wait_for()
    page.get_by_role("link", name="Every room's notes").click()
    page.wait_for_url("**/notes")


# A verification code is shown only once, when issued: kept, per certificates page, for the later visits.
_verification_addresses: dict[str, str] = {}


def issue_certificate_by_hand(page) -> None:
    """The workshop has ended: a certificate issued by hand (the first visit), then its verification page."""
    certificates_page = page.url
    if certificates_page not in _verification_addresses:
        page.get_by_label("Reason (kept in the audit log)").fill("Joined by phone")
        page.get_by_role("button", name="Issue the certificate").click()
        issued = page.get_by_role("status").filter(has_text="Certificate issued")
        issued.wait_for()
        _verification_addresses[certificates_page] = re.search(r"https?://\S+/verify/[A-Z2-7]+", issued.inner_text()).group(0)
    page.goto(_verification_addresses[certificates_page])
    page.wait_for_url("**/verify/*")


def open_attendance_grid(page) -> None:
    """The organizers' grid of a workshop with a session on its agenda."""
    add_session_in_editor(page)
    page.goto(page.url.replace("/agenda", "/attendance"))
    page.get_by_role("heading", name="Legend").wait_for()


def open_attendance_of_a_session(page) -> None:
    open_attendance_grid(page)
    page.locator(".att-grid thead a").first.click()
    page.wait_for_url("**/attendance/sessions/*")


def open_attendance_by_hand(page) -> None:
    """Entries by hand, with one added (the check visits the page twice, and the second time it exists)."""
    add_session_in_editor(page)
    page.goto(page.url.replace("/agenda", "/attendance/manual"))
    if page.locator(".att-entries tbody tr").count() == 0:
        page.get_by_label("From (host time)").fill("2023-07-18T09:00")
        page.get_by_label("Until (host time)").fill("2023-07-18T09:45")
        page.get_by_label("Reason", exact=True).fill("Joined by phone")
        page.get_by_role("button", name="Add", exact=True).click()
        page.get_by_role("status").filter(has_text="Attendance added").wait_for()


def send_evaluation(page) -> None:
    """One rating and one comment sent; the check visits the page twice, and the second time it is sent already."""
    if page.get_by_role("button", name="Send my evaluation").count():
        page.get_by_role("radio", name="4 · Mostly").first.check()
        page.get_by_role("textbox").first.fill("The country reports: <b>useful</b>.")
        page.get_by_role("button", name="Send my evaluation").click()
    page.get_by_role("heading", name="Thank you").wait_for()


class Page(NamedTuple):
    name: str
    role: str  # "anonymous", "participant" or "organizer"
    path: str
    status: int = 200
    then: Callable | None = None


PAGES = [
    Page("sign-in", "anonymous", "/login"),
    Page("forgot password", "anonymous", "/password/forgot"),
    Page("set a password", "anonymous", "{password_link}"),
    Page("invite welcome", "anonymous", "{invite}"),
    Page("join", "anonymous", "/join/{code}?key={join_code}"),
    Page("workshop list", "organizer", "/"),
    Page("workshop home (participant)", "participant", "/w/{code}/"),
    Page("workshop home (organizer)", "organizer", "/w/{code}/"),
    Page("edit workshop", "organizer", "/w/{code}/edit"),
    Page("new workshop", "organizer", "/workshops/new"),
    Page("people", "organizer", "/w/{code}/people"),
    Page("audit log", "organizer", "/w/{code}/audit"),
    Page("your account (organizer)", "organizer", "/account"),
    Page("your account (participant)", "participant", "/account"),
    Page("import preview with errors", "organizer", "/w/{code}/people", then=upload_import_with_errors),
    Page("agenda (participant)", "participant", "/w/{code}/agenda"),
    Page("agenda with the editor open", "organizer", "/w/{code}/agenda", then=open_agenda_editor),
    Page("session page", "organizer", "/w/{code}/agenda", then=open_session_page),
    Page("poll desk with an open poll", "organizer", "/w/{code}/agenda", then=open_poll_desk),
    Page("projector with an open poll", "organizer", "/w/{code}/agenda", then=open_projector),
    Page("run of show with an open poll", "organizer", "/w/{code}/agenda", then=open_run_of_show),
    Page("country reports dashboard", "organizer", "/w/{code}/reports", then=create_report_slots),
    Page("country report slot", "organizer", "/w/{code}/reports", then=open_report_slot),
    Page("country reports (participant)", "participant", "/w/{code}/reports"),
    Page("report audit log", "organizer", "/w/{code}/reports/audit"),
    Page("evaluation (participant)", "participant", "/w/{code}/evaluation"),
    Page("evaluation sent (participant)", "participant", "/w/{code}/evaluation", then=send_evaluation),
    Page("evaluation questions and settings", "organizer", "/w/{code}/evaluation/manage"),
    Page("evaluation results", "organizer", "/w/{code}/evaluation/results"),
    Page("evaluation summary", "organizer", "/w/{code}/evaluation/summary"),
    Page("question moderation", "organizer", "/w/{code}/agenda", then=open_question_moderation),
    Page("questions projector", "organizer", "/w/{code}/agenda", then=open_questions_projector),
    Page("breakout desk", "organizer", "/w/{code}/agenda", then=open_breakout_desk),
    Page("breakout round, open", "organizer", "/w/{code}/agenda", then=open_breakout_round),
    Page("breakout room", "organizer", "/w/{code}/agenda", then=open_breakout_room),
    Page("session page during breakouts", "organizer", "/w/{code}/agenda", then=open_session_during_breakouts),
    Page("breakout notes", "organizer", "/w/{code}/agenda", then=open_breakout_notes),
    Page("certificates with a preview no one meets", "organizer", "/w/{code}/certificates?kind=sessions&threshold=3"),
    Page("certificate verification", "organizer", "/w/{code}/certificates", then=issue_certificate_by_hand),
    Page("certificate verification, not found", "anonymous", "/verify/NOSUCHCODE2345ABCDEFGHIJ", status=404),
    Page("attendance grid", "organizer", "/w/{code}/agenda", then=open_attendance_grid),
    Page("attendance of a session", "organizer", "/w/{code}/agenda", then=open_attendance_of_a_session),
    Page("attendance by hand", "organizer", "/w/{code}/agenda", then=open_attendance_by_hand),
    Page("delete attendance intervals", "organizer", "/w/{code}/attendance/delete-intervals"),
    Page("my attendance (participant)", "participant", "/w/{code}/attendance"),
    Page("404", "organizer", "/w/NO-SUCH-WORKSHOP/", status=404),
    Page("403", "participant", "/w/{code}/edit", status=403),
]

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe.min.js"
