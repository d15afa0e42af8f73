"""Fixtures for country reports: a workshop with organizers, participants of two countries, and slots."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.live.conftest import connect  # noqa: F401  (fixture)
from tests.uploads import files
from tests.uploads.conftest import tiny_disk  # noqa: F401  (fixture)
from workshop.accounts.models import Person
from workshop.db import db
from workshop.reports import services
from workshop.reports.models import ReportSlot
from workshop.workshops.models import Role, Workshop


@dataclass
class Scene:
    workshop: Workshop
    organizer: Person
    other_organizer: Person
    moderator: Person
    nepal: Person  # a participant from Nepal
    sri_lanka: Person  # a participant from Sri Lanka
    slots: dict[str, ReportSlot]  # by country code

    @property
    def code(self) -> str:
        return self.workshop.code

    def path(self, country: str, rest: str = "") -> str:
        return f"/w/{self.code}/reports/{self.slots[country].id}{rest}"


@pytest.fixture
def uploads(app, tmp_path) -> Path:
    folder = tmp_path / "uploads"
    app.config["UPLOAD_FOLDER"] = str(folder)
    return folder


@pytest.fixture
def scene(app, make, uploads) -> Scene:
    workshop = make.workshop()
    organizer = make.member(workshop, Role.ORGANIZER, name="Olga Organizer", password=None)
    other = make.member(workshop, Role.ORGANIZER, name="Oscar Organizer", password=None)
    moderator = make.member(workshop, Role.MODERATOR, name="Mona Moderator", country="NP", password=None)
    nepal = make.member(workshop, name="Anil Nepal", country="NP")
    sri_lanka = make.member(workshop, name="Sita Lanka", country="LK")
    created = services.create_slots(workshop, {**services.DEFAULT_SLOT, "max_mb": 1}, organizer,
                                    services.ZoneInfo(workshop.timezone), 25)
    db.session.commit()
    return Scene(workshop, organizer, other, moderator, nepal, sri_lanka, {s.country: s for s in created})


def file_field(data: bytes, name: str):
    return {"file": (io.BytesIO(data), name)}


def upload(client, make, scene: Scene, country: str, data: bytes, name: str = "report.pdf", **kwargs):
    return make.post(client, scene.path(country, "/upload"), file_field(data, name),
                     content_type="multipart/form-data", **kwargs)


@pytest.fixture
def send(client, make, scene):
    """``send(person, country, data, name)``: that person's upload through the route, as a plain form post."""

    def post(person, country: str, data: bytes, name: str = "report.pdf", **kwargs):
        make.sign_in(client, person)
        return upload(client, make, scene, country, data, name, **kwargs)

    return post


@pytest.fixture
def pdf():
    return files.pdf
