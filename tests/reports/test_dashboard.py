"""Slots made per country and edited, the dashboard's counts and filter, CSV, the streamed ZIP, and live rows."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime, timezone

import pytest
from sqlalchemy.exc import IntegrityError

from tests.uploads import files
from workshop.db import db
from workshop.reports.models import ReportSlot, ReportState
from workshop.reports.zipstream import stream_zip
from workshop.workshops.models import Role


def test_slots_are_made_for_each_participating_country_once(app, client, make):
    workshop = make.workshop()
    organizer = make.member(workshop, Role.ORGANIZER, password=None)
    for country in ("NP", "LK", "NP", "FI"):
        make.member(workshop, country=country)
    make.member(workshop, Role.MODERATOR, country="KR", password=None)  # staff: not a participating country
    make.sign_in(client, organizer)
    path = f"/w/{workshop.code}/reports/slots"
    form = {"title": "Final paper", "due_at": "2023-07-25T17:00", "allowed_kinds": ["pdf", "docx"], "max_mb": "10",
            "participants_may_upload": "y"}
    assert make.post(client, path, form).status_code == 302
    slots = db.session.query(ReportSlot).order_by(ReportSlot.country).all()
    assert [s.country for s in slots] == ["FI", "LK", "NP"]
    slot = slots[0]
    assert (slot.title, slot.kinds, slot.max_mb, slot.participants_may_upload) == (
        "Final paper", frozenset({"pdf", "docx"}), 10, True)
    assert slot.due_at == datetime(2023, 7, 25, 11, 30, tzinfo=timezone.utc)  # 17:00 in Asia/Colombo
    assert make.post(client, path, form).status_code == 409  # nothing left to make
    assert db.session.query(ReportSlot).count() == 3


def test_the_database_refuses_a_second_slot_for_a_country(app, make):
    workshop = make.workshop()
    db.session.add_all([ReportSlot(workshop_id=workshop.id, country="NP", title="A"),
                        ReportSlot(workshop_id=workshop.id, country="NP", title="B")])
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("field, value, message", [
    ("max_mb", "500", "from 1 to 25 MB"), ("allowed_kinds", [], "at least one file type"),
    ("title", "", "This field is required"), ("due_at", "next week", "Not a valid datetime")])
def test_slot_settings_are_checked(app, scene, client, make, field, value, message):
    make.sign_in(client, scene.organizer)
    form = {"title": "Country report", "allowed_kinds": ["pdf"], "max_mb": "5", field: value}
    response = make.post(client, scene.path("NP"), form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.refresh(scene.slots["NP"])
    assert scene.slots["NP"].max_mb == 1


def test_an_organizer_edits_a_slot_and_the_edit_is_logged(app, scene, client, make):
    make.sign_in(client, scene.organizer)
    form = {"title": "Slides", "instructions": "Max 10 slides", "due_at": "2023-07-20T09:00",
            "allowed_kinds": ["pptx"], "max_mb": "20"}
    assert make.post(client, scene.path("NP"), form).status_code == 302
    slot = scene.slots["NP"]
    db.session.refresh(slot)
    assert (slot.title, slot.kinds, slot.max_mb, slot.participants_may_upload) == (
        "Slides", frozenset({"pptx"}), 20, False)
    page = client.get(scene.path("NP")).get_data(as_text=True)
    assert "slot edited" in page and "Asia/Colombo" in page
    assert client.post(scene.path("NP"), data=form).status_code == 400  # no CSRF token
    make.sign_in(client, scene.nepal)
    assert make.post(client, scene.path("NP"), form).status_code == 403


def test_the_dashboard_counts_filters_and_is_for_organizers(app, scene, client, make, send):
    send(scene.nepal, "NP", files.pdf())
    make.sign_in(client, scene.organizer)
    page = client.get(f"/w/{scene.code}/reports").get_data(as_text=True)
    assert re.search(r'data-testid="count-missing">1<', page)
    assert re.search(r'data-testid="count-submitted">1<', page)
    filtered = client.get(f"/w/{scene.code}/reports?state=missing").get_data(as_text=True)
    assert f'id="report-row-{scene.slots["LK"].id}"' in filtered
    assert f'id="report-row-{scene.slots["NP"].id}"' not in filtered
    assert client.get(f"/w/{scene.code}/reports?state=lost").status_code == 400
    make.sign_in(client, scene.sri_lanka)
    participant_page = client.get(f"/w/{scene.code}/reports").get_data(as_text=True)
    assert "Your country" in participant_page and "report-row" not in participant_page
    for path in ("/reports.csv", "/reports/latest.zip"):
        assert client.get(f"/w/{scene.code}{path}").status_code == 403


def test_the_csv_export_lists_every_country(app, scene, client, make, send):
    send(scene.nepal, "NP", files.pdf(), "=cmd.pdf")
    make.sign_in(client, scene.organizer)
    response = client.get(f"/w/{scene.code}/reports.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["country code"], r["state"], r["versions"]) for r in rows] == [("LK", "missing", "0"),
                                                                              ("NP", "submitted", "1")]
    assert rows[1]["latest file"] == "'=cmd.pdf"  # no formula
    assert rows[1]["country"] == "Nepal"


def test_all_latest_reports_download_as_one_streamed_zip(app, scene, client, make, send):
    nepal_old, nepal_new, lanka = files.pdf("NP old"), files.office("pptx"), files.office("docx")
    send(scene.nepal, "NP", nepal_old, "old.pdf")
    send(scene.nepal, "NP", nepal_new, "Hyvä käytäntö.pptx")
    send(scene.sri_lanka, "LK", lanka, "국가보고서.docx")
    make.sign_in(client, scene.organizer)
    response = client.get(f"/w/{scene.code}/reports/latest.zip", buffered=False)
    assert response.is_streamed and response.content_length is None
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    with zipfile.ZipFile(io.BytesIO(b"".join(response.response))) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == ["LK_v1_국가보고서.docx", "NP_v2_Hyvä käytäntö.pptx"]
        assert archive.read("NP_v2_Hyvä käytäntö.pptx") == nepal_new
        assert archive.read("LK_v1_국가보고서.docx") == lanka


def test_the_zip_stream_yields_pieces_as_it_goes(tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 4096)  # 1 MB
    pieces = list(stream_zip([("a.bin", big), ("b.bin", big)], ["lost.pdf"]))
    assert len(pieces) > 4 and max(len(p) for p in pieces) < 600_000
    with zipfile.ZipFile(io.BytesIO(b"".join(pieces))) as archive:
        assert archive.read("b.bin") == big.read_bytes()
        assert "lost.pdf" in archive.read("MISSING-FILES.txt").decode()


def test_an_arriving_report_updates_other_organizers_dashboards_live(app, scene, send, connect):
    watcher = connect(scene.other_organizer, scene.code)
    participant = connect(scene.sri_lanka, scene.code)
    moderator = connect(scene.moderator, scene.code)
    watcher.collect()
    send(scene.nepal, "NP", files.pdf(), "nepal.pdf")
    row = f'id="report-row-{scene.slots["NP"].id}"'
    # (The slots' creation was announced too: its fragments, the row's and the whole table's, may still be on
    # their way, and in the tests' threads such a render may straddle the upload's commit.)
    submitted = re.compile(row + r' data-version="\d+" data-state="submitted"[^<]*>.*?nepal\.pdf', re.S)
    watcher.wait_for(lambda s: any(submitted.search(f) for f in s.fragments), what="the Nepal row")
    fragment = next(f for f in watcher.fragments if submitted.search(f))
    assert 'hx-swap-oob="true"' in fragment and 'data-state="submitted"' in fragment and "nepal.pdf" in fragment
    assert re.search(r'data-testid="count-submitted">1<', fragment)
    assert not any(row in f for f in participant.collect())  # only organizers hear of it
    assert not any(row in f for f in moderator.collect())
    versions = [int(v) for v in re.findall(r'id="report-row-\d+" data-version="(\d+)"', fragment)]
    send(scene.organizer, "NP", files.pdf("second"), "second.pdf")
    watcher.wait_for(lambda s: any(row in f and "second.pdf" in f for f in s.fragments), what="the second update")
    later = [f for f in watcher.fragments if row in f][-1]
    assert int(re.search(r'id="report-row-\d+" data-version="(\d+)"', later).group(1)) > versions[0]


def test_a_dashboard_opened_before_the_slots_exist_gets_the_table_when_they_are_made(app, client, make, connect):
    workshop = make.workshop()
    maker = make.member(workshop, Role.ORGANIZER, password=None)
    watcher = make.member(workshop, Role.ORGANIZER, password=None)
    for country in ("NP", "LK"):
        make.member(workshop, country=country)
    db.session.commit()
    make.sign_in(client, watcher)
    page = client.get(f"/w/{workshop.code}/reports").get_data(as_text=True)
    assert "No slots yet." in page and "Slots will be made for 2 countries" in page
    served = int(re.search(r'<tbody id="report-rows" data-version="(\d+)"', page).group(1))
    dashboard = connect(watcher, workshop.code)
    dashboard.collect()

    make.sign_in(client, maker)
    form = {"title": "Country report", "allowed_kinds": ["pdf"], "max_mb": "5"}
    assert make.post(client, f"/w/{workshop.code}/reports/slots", form).status_code == 302
    dashboard.wait_for(lambda s: any('id="report-rows"' in f for f in s.fragments), what="the table")
    fragment = next(f for f in dashboard.fragments if 'id="report-rows"' in f)
    body = re.search(r'<tbody id="report-rows" data-version="(\d+)" hx-swap-oob="true">(.*?)</tbody>', fragment, re.S)
    assert body is not None and int(body.group(1)) > served
    slots = db.session.query(ReportSlot).order_by(ReportSlot.country).all()
    assert re.findall(r'id="report-row-(\d+)"', body.group(2)) == [str(slot.id) for slot in slots]
    assert "No slots yet." not in fragment
    coverage = re.search(r'<div id="slot-coverage".*?</div>', fragment, re.S).group(0)
    assert "Every participating country has a slot." in coverage and "Slots will be made" not in coverage
    assert re.search(r"<button type=\"submit\" disabled>Create slots</button>", coverage)
    assert re.search(r'data-testid="count-missing">2<', fragment)


def test_a_filtered_dashboard_keeps_its_own_rows_when_slots_are_made(app, scene, client, make):
    make.sign_in(client, scene.organizer)
    filtered = client.get(f"/w/{scene.code}/reports?state=submitted").get_data(as_text=True)
    # Not the live table's id: the whole table sent when slots are made would replace the filtered rows.
    assert 'id="report-rows-submitted"' in filtered and 'id="report-rows"' not in filtered
    assert "No report is submitted." in filtered


def test_live_counts_leave_the_filter_links_alone(app, scene, send, connect):
    """A filtered dashboard keeps its current filter marked: a broadcast sends the numbers, not the links."""
    watcher = connect(scene.other_organizer, scene.code)
    watcher.collect()
    send(scene.nepal, "NP", files.pdf(), "nepal.pdf")
    watcher.wait_for(lambda s: any('data-testid="count-submitted">1<' in f for f in s.fragments), what="the counts")
    fragment = next(f for f in watcher.fragments if 'data-testid="count-submitted">1<' in f)
    assert 'id="report-counts"' not in fragment and "aria-current" not in fragment
    assert re.search(r'<span id="report-count-submitted" class="count" data-version="\d+" hx-swap-oob="true"', fragment)
