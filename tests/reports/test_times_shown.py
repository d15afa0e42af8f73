"""Report pages, a report's versions and history, and the workshop's audit log show every time in the viewer's
zone, labelled as the agenda labels it; a due date (typed in host time) shows the host's time beside."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from workshop.audit.models import AuditEvent
from workshop.audit.services import record
from workshop.db import db
from workshop.reports.models import ReportEvent, ReportVersion

# 03:00 UTC is 08:45 in Kathmandu (UTC+5:45) and 08:30 in Colombo, the host's zone (UTC+5:30).
MOMENT = datetime(2023, 7, 18, 3, 0, tzinfo=UTC)
KATHMANDU = '08:45 <small class="zone">Asia/Kathmandu, UTC+5:45</small>'


def page(client, make, person, path: str) -> str:
    make.sign_in(client, person)
    answer = client.get(path)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_a_due_date_shows_in_the_viewers_zone_with_the_hosts_beside(client, make, scene):
    scene.slots["NP"].due_at = MOMENT
    db.session.commit()
    html = page(client, make, scene.nepal, scene.path("NP"))
    (due,) = re.findall(r"Due: (.*?)</p>", html, re.S)
    assert f"Tuesday, 18 July 2023, {KATHMANDU}" in due
    assert '(host: Tuesday, 18 July 2023, 08:30 <span class="zone">Asia/Colombo, UTC+5:30</span>)' in due
    assert "UTC</" not in due.replace("UTC+", "")


def test_a_host_zone_viewer_sees_the_due_date_once(client, make, scene):
    scene.slots["NP"].due_at = MOMENT
    scene.organizer.timezone = "Asia/Colombo"
    db.session.commit()
    html = page(client, make, scene.organizer, scene.path("NP"))
    (due,) = re.findall(r"Due: (.*?)</p>", html, re.S)
    assert '08:30 <small class="zone">Asia/Colombo, UTC+5:30</small>' in due and "host:" not in due


def test_an_uploads_time_and_the_report_history_show_in_the_viewers_zone(client, make, scene, send, pdf):
    assert send(scene.nepal, "NP", pdf()).status_code in (200, 302)
    db.session.execute(ReportVersion.__table__.update().values(created_at=MOMENT))
    db.session.execute(ReportEvent.__table__.update().values(at=MOMENT))
    db.session.commit()
    html = page(client, make, scene.organizer, scene.path("NP"))
    (version,) = re.findall(r'<tr id="version-1".*?</tr>', html, re.S)
    assert "2023-07-18 08:45" in version and "(Asia/Kathmandu, UTC+5:45)" in version
    history = html.split('id="log-heading"')[1]
    assert "2023-07-18 08:45" in history and "(Asia/Kathmandu, UTC+5:45)" in history
    audit = page(client, make, scene.organizer, f"/w/{scene.code}/reports/audit")
    assert "2023-07-18 08:45" in audit and "(Asia/Kathmandu, UTC+5:45)" in audit


def test_the_workshops_audit_log_shows_its_times_in_the_viewers_zone(client, make, scene):
    record(scene.workshop.id, scene.organizer, "member added", subject=scene.nepal)
    db.session.commit()
    db.session.execute(AuditEvent.__table__.update().values(at=MOMENT))
    db.session.commit()
    html = page(client, make, scene.organizer, f"/w/{scene.code}/audit")
    rows = re.findall(r"<tr><td>(.*?)</td>", html, re.S)
    assert rows and all("2023-07-18 08:45" in row and "(Asia/Kathmandu, UTC+5:45)" in row for row in rows)
    assert db.session.scalar(select(AuditEvent.at)) == MOMENT
