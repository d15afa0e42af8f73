"""Uploading through the route: versions, identical files, late uploads, and every bad input refused clearly
with nothing lost (the earlier version and its bytes intact)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.reports.conftest import file_field
from tests.uploads import files
from tests.uploads.conftest import remount_read_only
from tests.uploads.helpers import blobs_under, everything_under
from workshop.db import db, utcnow
from workshop.reports.models import ReportEvent, ReportState, ReportVersion
from workshop.uploads.models import StoredFile


def versions_of(slot) -> list[int]:
    return list(db.session.scalars(select(ReportVersion.number).where(ReportVersion.slot_id == slot.id)
                                   .order_by(ReportVersion.number)))


def stored_count() -> int:
    return db.session.scalar(select(func.count(StoredFile.id)))


@pytest.fixture
def earlier(scene, send):
    """Nepal's report, version 1, stored before the bad input arrives."""
    data = files.pdf("Nepal first version")
    assert send(scene.nepal, "NP", data, "nepal.pdf").status_code == 302
    version = db.session.scalar(select(ReportVersion).where(ReportVersion.slot_id == scene.slots["NP"].id))
    return version, data


def assert_nothing_lost(scene, uploads, earlier) -> None:
    version, data = earlier
    db.session.expire_all()
    assert versions_of(scene.slots["NP"]) == [1]
    assert stored_count() == 1
    sha = version.stored_file.sha256
    assert (uploads / sha[:2] / sha).read_bytes() == data
    assert [name for name in everything_under(uploads) if ".partial" in name] == []
    assert db.session.get(type(scene.slots["NP"]), scene.slots["NP"].id).state == ReportState.SUBMITTED


def test_a_participant_uploads_their_own_countrys_report(app, scene, send, client, uploads):
    response = send(scene.nepal, "NP", files.pdf(), "국가보고서 2023.pdf")
    assert response.status_code == 302
    slot = scene.slots["NP"]
    db.session.refresh(slot)
    assert slot.state == ReportState.SUBMITTED
    assert [(v.number, v.stored_file.original_name, v.stored_file.uploaded_by_id) for v in slot.versions] == [
        (1, "국가보고서 2023.pdf", scene.nepal.id)]
    assert "Received “국가보고서 2023.pdf” as version 1" in client.get(response.location).get_data(as_text=True)
    assert len(blobs_under(uploads)) == 1


def test_a_new_upload_is_a_new_version_and_old_ones_stay_downloadable(app, scene, send, client):
    first, second = files.pdf("First"), files.office("docx")
    send(scene.nepal, "NP", first, "first.pdf")
    send(scene.organizer, "NP", second, "second.docx")
    assert versions_of(scene.slots["NP"]) == [1, 2]
    assert client.get(scene.path("NP", "/v/1")).data == first
    assert client.get(scene.path("NP", "/v/2")).data == second
    actions = db.session.scalars(select(ReportEvent.action).where(ReportEvent.slot_id == scene.slots["NP"].id)
                                 .order_by(ReportEvent.id)).all()
    assert actions == ["slot created", "upload", "replacement"]


def test_an_identical_file_makes_no_new_version_and_says_so(app, scene, send, client, uploads):
    data = files.pdf("Same")
    send(scene.nepal, "NP", data, "report.pdf")
    response = send(scene.nepal, "NP", data, "renamed copy.pdf", headers={"X-Requested-With": "XMLHttpRequest"})
    assert response.status_code == 200
    assert response.json["new"] is False
    assert "identical to version 1" in response.json["message"]
    assert versions_of(scene.slots["NP"]) == [1]
    assert stored_count() == 1
    assert len(blobs_under(uploads)) == 1


def test_an_upload_after_the_due_date_is_late(app, scene, send):
    slot = scene.slots["NP"]
    slot.due_at = utcnow().replace(year=2020)
    db.session.commit()
    send(scene.nepal, "NP", files.pdf())
    db.session.refresh(slot)
    assert slot.state == ReportState.LATE
    assert slot.versions[0].late is True


def test_the_script_upload_answers_json(app, scene, send):
    response = send(scene.nepal, "NP", files.pdf(), headers={"X-Requested-With": "XMLHttpRequest"})
    assert response.status_code == 200
    assert response.json["ok"] is True and response.json["version"] == 1
    assert response.json["url"].endswith(scene.path("NP"))


BAD_FILES = {
    "empty file": (b"", "report.pdf", 400, "The file is empty"),
    "wrong type": (files.office("xlsx"), "figures.xlsx", 400, "Excel (.xlsx) files are not accepted here"),
    "lying type": (files.windows_exe(), "report.pdf", 400, "not a PDF, Word, PowerPoint or Excel document"),
    "zip named docx": (files.plain_zip(), "report.docx", 400, "ZIP archive, not a Word"),
    "over the slot limit": (files.pdf(padding=1_200_000), "big.pdf", 413, "larger than the limit of 1 MB"),
    "no file chosen": (b"", "", 400, "Choose a file"),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_bad_files_are_refused_clearly_and_lose_nothing(app, scene, send, uploads, earlier, case):
    script = case in ("over the slot limit", "lying type")  # the answer reports.js shows, as JSON
    slot = scene.slots["NP"]
    slot.allowed_kinds = "pdf,docx,pptx"
    db.session.commit()
    data, name, status, message = BAD_FILES[case]
    headers = {"X-Requested-With": "XMLHttpRequest"} if script else {}
    response = send(scene.nepal, "NP", data or b"", name, headers=headers)
    assert response.status_code == status
    text = response.json["message"] if script else response.get_data(as_text=True)
    assert message in text
    assert_nothing_lost(scene, uploads, earlier)


def test_a_path_traversal_name_stays_inside_the_uploads_folder(app, scene, send, uploads, tmp_path):
    shown = "x.pdf"
    assert send(scene.nepal, "NP", files.pdf(), "../../x.pdf").status_code == 302
    version = scene.slots["NP"].versions[0]
    assert (version.stored_file.original_name, version.stored_file.safe_name) == (shown, shown)
    assert list(tmp_path.rglob(shown)) == []
    assert all(path.startswith(version.stored_file.sha256[:2]) for path in everything_under(uploads))


def test_a_300_character_name_is_kept_for_display_and_cut_for_downloads(app, scene, send, client):
    name = "국가보고서 " + "Hyvä käytäntö " * 20 + "x" * 9 + ".docx"
    assert len(name) == 300
    assert send(scene.nepal, "NP", files.office("docx"), name).status_code == 302
    version = scene.slots["NP"].versions[0]
    assert version.stored_file.original_name == name
    response = client.get(scene.path("NP", "/v/1"))
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert name in client.get(scene.path("NP")).get_data(as_text=True)


def test_an_upload_interrupted_halfway_leaves_nothing(app, scene, client, make, uploads, earlier):
    make.sign_in(client, scene.nepal)
    token = make.csrf_token(client)
    boundary = "reportboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode() + files.pdf(padding=600_000) + \
        f"\r\n--{boundary}--\r\n".encode()
    half = body[: len(body) // 2]
    response = client.post(scene.path("NP", "/upload"), input_stream=io.BytesIO(half),
                           content_type=f"multipart/form-data; boundary={boundary}", content_length=len(body),
                           headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert_nothing_lost(scene, uploads, earlier)


def test_a_post_without_the_csrf_token_changes_nothing(app, scene, client, make, uploads):
    make.sign_in(client, scene.nepal)
    response = client.post(scene.path("NP", "/upload"), data=file_field(files.pdf(), "report.pdf"),
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert versions_of(scene.slots["NP"]) == []
    assert everything_under(uploads) == []


# Who may upload ---------------------------------------------------------------------------------------

def test_a_participant_cannot_upload_to_another_countrys_slot(app, scene, send, uploads, earlier):
    response = send(scene.sri_lanka, "NP", files.pdf("Not mine"), "nepal.pdf")
    assert response.status_code == 403
    assert "You can upload only your own country" in response.get_data(as_text=True)
    assert_nothing_lost(scene, uploads, earlier)


def test_a_participant_cannot_upload_where_the_organizers_do_not_allow_it(app, scene, send):
    scene.slots["NP"].participants_may_upload = False
    db.session.commit()
    response = send(scene.nepal, "NP", files.pdf(), headers={"X-Requested-With": "XMLHttpRequest"})
    assert response.status_code == 403
    assert "participants cannot upload here" in response.json["message"]
    assert versions_of(scene.slots["NP"]) == []


def test_organizers_upload_for_any_country_even_where_participants_may_not(app, scene, send):
    scene.slots["LK"].participants_may_upload = False
    db.session.commit()
    assert send(scene.organizer, "LK", files.pdf()).status_code == 302
    assert versions_of(scene.slots["LK"]) == [1]


@pytest.mark.parametrize("who", ["moderator", "outsider"])
def test_moderators_and_outsiders_cannot_upload(app, scene, send, make, who):
    person = scene.moderator if who == "moderator" else make.person(country="NP")
    response = send(person, "NP", files.pdf())
    assert response.status_code == 403
    assert versions_of(scene.slots["NP"]) == []


def test_a_participant_cannot_replace_an_accepted_report(app, scene, send, make, client, earlier):
    make.sign_in(client, scene.organizer)
    assert make.post(client, scene.path("NP", "/review"), {"action": "accept"}).status_code == 302
    response = send(scene.nepal, "NP", files.pdf("Sneaky change"))
    assert response.status_code == 409
    assert "already accepted" in response.get_data(as_text=True)
    assert versions_of(scene.slots["NP"]) == [1]


# Full or read-only storage (a real tmpfs, as the upload module's own tests) -------------------------

@pytest.fixture
def small_disk(app, tiny_disk):
    folder = tiny_disk / "uploads"
    app.config["UPLOAD_FOLDER"] = str(folder)
    return folder


def test_a_full_disk_gives_a_clear_507_and_keeps_the_earlier_version(app, scene, send, small_disk):
    data = files.pdf("Small first version")
    assert send(scene.nepal, "NP", data).status_code == 302
    sha = scene.slots["NP"].versions[0].stored_file.sha256
    response = send(scene.nepal, "NP", files.pdf("Bigger", padding=200_000), "bigger.pdf")
    assert response.status_code == 507
    assert "storage for uploads is full" in response.get_data(as_text=True)
    assert versions_of(scene.slots["NP"]) == [1]
    assert blobs_under(small_disk) == [f"{sha[:2]}/{sha}"]
    assert (small_disk / sha[:2] / sha).read_bytes() == data


def test_a_read_only_uploads_folder_gives_a_clear_507(app, scene, send, client, small_disk, tiny_disk):
    data = files.pdf("Before read-only")
    assert send(scene.nepal, "NP", data).status_code == 302
    remount_read_only(tiny_disk)
    response = send(scene.nepal, "NP", files.pdf("After"), headers={"X-Requested-With": "XMLHttpRequest"})
    assert response.status_code == 507
    assert "cannot write to its uploads folder" in response.json["message"]
    assert versions_of(scene.slots["NP"]) == [1]
    assert client.get(scene.path("NP", "/v/1")).data == data
