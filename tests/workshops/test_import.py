"""Importing participants from CSV: preview first, nothing written until confirm."""

from __future__ import annotations

import html
import io
import re
import zipfile

import pytest
from sqlalchemy import func, select

from tests.workshops.helpers import text
from workshop.accounts import services as accounts
from workshop.accounts.models import Invite, Person
from workshop.db import db
from workshop.workshops.models import Membership, Origin, Role

HEADER = "name,email,country,organization,role,local/overseas\r\n"


def upload(client, make, workshop, data: bytes, filename: str = "people.csv", **extra):
    return make.post(client, f"/w/{workshop.code}/people/import",
                     {"file": (io.BytesIO(data), filename), **extra}, content_type="multipart/form-data")


def hidden_csv(response) -> str:
    match = re.search(r'<input[^>]*name="csv"[^>]*value="([^"]*)"', response.get_data(as_text=True))
    assert match, "the preview has no confirm form"
    return html.unescape(match.group(1))


def confirm(client, make, workshop, csv: str):
    return make.post(client, f"/w/{workshop.code}/people/import/confirm", {"csv": csv})


def counts() -> tuple[int, int, int]:
    return (db.session.scalar(select(func.count(Person.id))), db.session.scalar(select(func.count(Membership.id))),
            db.session.scalar(select(func.count(Invite.id))))


def member_named(workshop, name: str) -> Membership:
    return db.session.scalar(select(Membership).join(Person).where(
        Membership.workshop_id == workshop.id, Person.name == name))


def test_preview_lists_valid_rows_and_row_errors_and_writes_nothing(client, make, workshop, organizer):
    existing = make.member(workshop, Role.PARTICIPANT)
    data = (HEADER
            + "Sita Sharma,sita@example.org,Nepal,Public Procurement Monitoring Office,,overseas\r\n"
            + "Bad Email,not-an-email,NP,,,\r\n"
            + "Lost Soul,lost@example.org,Atlantis,,,\r\n"
            + "Sita Again,SITA@example.org,NP,,,\r\n"
            + f"Already There,{existing.email},NP,,,\r\n"
            + ",noname@example.org,NP,,,\r\n"
            + "Odd Role,oddrole@example.org,NP,,chairman,\r\n"
            + "Odd Origin,oddorigin@example.org,NP,,,martian\r\n"
            + "Nimal Perera,nimal@example.org,LK,,moderator,local\r\n").encode()
    before = counts()
    response = upload(client, make, workshop, data)
    assert response.status_code == 200
    page = text(response)
    assert "2 row(s) ready to import, 7 row(s) with errors that will be skipped. Nothing has been imported yet." in page
    assert "Sita Sharma" in page and "Nimal Perera" in page
    errors = dict(re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td></tr>", page))
    assert errors["3"].startswith("Not a valid email address")
    assert "Unknown country 'Atlantis'" in errors["4"]
    assert errors["5"] == "Duplicate: sita@example.org is also on line 2."
    assert errors["6"] == f"Duplicate: {existing.email} is already in this workshop."
    assert errors["7"] == "The name is missing."
    assert "Unknown role 'chairman'" in errors["8"]
    assert "'martian' is neither local nor overseas" in errors["9"]
    assert counts() == before


def test_confirm_imports_only_the_valid_rows_each_with_an_active_invite(client, make, workshop, organizer):
    data = (HEADER
            + "Sita Sharma,sita@example.org,Nepal,PPMO,,overseas\r\n"
            + "Dorji Wangchuk,dorji@example.org,BT,,participant,\r\n"
            + "Putri Lestari,putri@example.org,idn,,,\r\n"
            + "Nimal Perera,nimal@example.org,LK,,moderator,local\r\n"
            + "Bad Email,not-an-email,NP,,,\r\n").encode()
    preview = upload(client, make, workshop, data)
    response = confirm(client, make, workshop, hidden_csv(preview))
    assert response.status_code == 302
    people = client.get(f"/w/{workshop.code}/people")
    assert "Imported 4 participant(s). 1 row(s) with errors were skipped." in text(people)
    expected = {"Sita Sharma": ("NP", Role.PARTICIPANT, Origin.OVERSEAS, "PPMO"),
                "Dorji Wangchuk": ("BT", Role.PARTICIPANT, Origin.OVERSEAS, ""),
                "Putri Lestari": ("ID", Role.PARTICIPANT, Origin.OVERSEAS, ""),
                "Nimal Perera": ("LK", Role.MODERATOR, Origin.LOCAL, "")}
    for name, (country, role, origin, organization) in expected.items():
        member = member_named(workshop, name)
        assert (member.person.country, member.role, member.origin, member.person.organization) == \
            (country, role, origin, organization)
        assert (member.country, member.country_waiting) == (country, False)  # the organizers' list confirms it
        invite = accounts.current_invite(member.person_id, workshop.id)
        assert invite is not None and accounts.resolve_invite(accounts.invite_token(invite)) is invite
    assert db.session.scalar(select(Person).where(Person.email == "not-an-email")) is None


def test_confirm_twice_does_not_import_the_same_people_again(client, make, workshop, organizer):
    csv = hidden_csv(upload(client, make, workshop, (HEADER + "Sita Sharma,sita@example.org,NP,,,\r\n").encode()))
    confirm(client, make, workshop, csv)
    before = counts()
    response = confirm(client, make, workshop, csv)
    assert response.status_code == 302
    assert counts() == before


def test_a_person_with_an_account_elsewhere_keeps_it(client, make, workshop, organizer):
    elsewhere = make.person("Kept Name")
    csv = hidden_csv(upload(client, make, workshop, (HEADER + f"Other Name,{elsewhere.email},NP,,,\r\n").encode()))
    confirm(client, make, workshop, csv)
    member = member_named(workshop, "Kept Name")
    assert member is not None and member.person_id == elsewhere.id


def test_the_csv_country_counts_for_a_person_with_an_account_elsewhere(client, make, workshop, organizer):
    # Their profile (and another workshop's membership) says India; this workshop's list says Nepal.
    other = make.workshop()
    elsewhere = make.member(other, name="Kept Name", country="IN")
    csv = hidden_csv(upload(client, make, workshop, (HEADER + f"Other Name,{elsewhere.email},Nepal,,,\r\n").encode()))
    confirm(client, make, workshop, csv)
    member = member_named(workshop, "Kept Name")
    assert (member.country, member.country_waiting) == ("NP", False)
    db.session.refresh(elsewhere)
    assert elsewhere.country == "IN"
    assert db.session.scalar(select(Membership.country).where(Membership.workshop_id == other.id)) == "IN"
    people = text(client.get(f"/w/{workshop.code}/people"))
    assert "Nepal" in people and "India" not in people


def test_import_without_csrf_token_is_400_and_writes_nothing(client, make, workshop, organizer):
    before = counts()
    data = {"file": (io.BytesIO((HEADER + "Sita,sita@example.org,NP,,,\r\n").encode()), "people.csv")}
    assert client.post(f"/w/{workshop.code}/people/import", data=data,
                       content_type="multipart/form-data").status_code == 400
    response = client.post(f"/w/{workshop.code}/people/import/confirm",
                           data={"csv": HEADER + "Sita,sita@example.org,NP,,,\r\n"})
    assert response.status_code == 400
    assert counts() == before


def test_participants_may_not_import(client, make, workshop):
    make.sign_in(client, make.member(workshop, Role.PARTICIPANT))
    before = counts()
    assert upload(client, make, workshop, (HEADER + "Sita,sita@example.org,NP,,,\r\n").encode()).status_code == 403
    assert confirm(client, make, workshop, HEADER + "Sita,sita@example.org,NP,,,\r\n").status_code == 403
    assert counts() == before


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("people.csv", HEADER + "Sita,sita@example.org,NP,,,\r\n")
    return out.getvalue()


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty."),
    (b"  \r\n\r\n", "The file is empty."),
    (HEADER.encode(), "The file has a header but no participants."),
    (_png(), "This is not a CSV file (it contains binary data)."),
    (_zip(), "This is not a CSV file (it contains binary data)."),
    (b"name,email,country,shoe size\r\nSita,sita@example.org,NP,38\r\n", "Unknown column(s): shoe size."),
    (b"name,organization\r\nSita,PPMO\r\n", "Missing column(s): email, country."),
    ((HEADER + "\u015e\u00fckr\u00fc Y\u0131lmaz,sukru@example.org,TR,,,\r\n").encode("cp1254"), "is not UTF-8 text"),
], ids=["empty", "blank-lines", "header-only", "png", "zip", "unknown-column", "missing-columns", "cp1254"])
def test_a_bad_file_gets_a_clear_message_and_nothing_is_written(client, make, workshop, organizer, data, message):
    before = counts()
    response = upload(client, make, workshop, data)
    assert response.status_code == 400
    page = text(response)
    assert message in page and "Nothing was imported." in page
    assert 'name="csv"' not in page
    assert counts() == before


def test_no_file_chosen_is_400(client, make, workshop, organizer):
    response = make.post(client, f"/w/{workshop.code}/people/import", {}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a CSV file to import." in text(response)


def test_a_very_long_field_is_a_row_error_not_a_crash(client, make, workshop, organizer):
    data = (HEADER + f"{'A' * 10_000},long@example.org,NP,,,\r\n"
            + f"Short Name,short@example.org,NP,{'O' * 301},,\r\n"
            + "Fine Person,fine@example.org,NP,,,\r\n").encode()
    response = upload(client, make, workshop, data)
    assert response.status_code == 200
    page = text(response)
    assert "1 row(s) ready to import, 2 row(s) with errors" in page
    assert "The name is longer than 200 characters." in page
    assert "The organization is longer than 300 characters." in page
    confirm(client, make, workshop, hidden_csv(response))
    assert member_named(workshop, "Fine Person") is not None
    assert db.session.scalar(select(Person).where(Person.email == "long@example.org")) is None


def test_a_file_over_2_mb_is_413_and_nothing_is_written(client, make, workshop, organizer):
    line = "Sita Sharma,sita{}@example.org,NP,Public Procurement Monitoring Office,,\r\n"
    data = HEADER.encode()
    number = 0
    while len(data) <= 2 * 1024 * 1024:
        data += "".join(line.format(number + i) for i in range(1000)).encode()
        number += 1000
    before = counts()
    response = upload(client, make, workshop, data)
    assert response.status_code == 413
    assert "2 MB" in text(response)
    assert counts() == before


def test_non_latin_names_survive_import_and_show_in_the_people_list(client, make, workshop, organizer):
    data = (HEADER + "김민준,minjun@example.org,KR,,,\r\n"
            + "Nguyễn Thị Hương,huong@example.org,Viet Nam,,,\r\n"
            + "Şükrü Yılmaz,sukru@example.org,TUR,,,\r\n").encode()
    preview = upload(client, make, workshop, data)
    assert "김민준" in text(preview)
    confirm(client, make, workshop, hidden_csv(preview))
    page = text(client.get(f"/w/{workshop.code}/people"))
    for name in ("김민준", "Nguyễn Thị Hương", "Şükrü Yılmaz"):
        assert name in page
        assert member_named(workshop, name) is not None
    assert member_named(workshop, "Nguyễn Thị Hương").person.country == "VN"


@pytest.mark.parametrize("data", [
    ("\ufeff" + HEADER + "Sita Sharma,sita@example.org,NP,,,\r\n").encode(),
    b"Name;Email;Country;Organization\r\nSita Sharma;sita@example.org;NP;Public Procurement, Nepal\r\n",
    b"name\temail\tcountry\nSita Sharma\tsita@example.org\tNP\n",
    b'name,email,country,organization\n"Sharma; Sita",sita@example.org,NP,"PPMO; Kathmandu"\n',
], ids=["bom", "semicolons", "tabs", "commas-with-semicolons-inside"])
def test_bom_and_other_delimiters_work(client, make, workshop, organizer, data):
    preview = upload(client, make, workshop, data)
    assert preview.status_code == 200
    assert "1 row(s) ready to import" in text(preview)
    confirm(client, make, workshop, hidden_csv(preview))
    person = db.session.scalar(select(Person).where(Person.email == "sita@example.org"))
    assert person is not None and person.country == "NP" and "Sita" in person.name
