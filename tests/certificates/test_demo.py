"""The demo archive shows certificates: its implementing organizations (from the APO notification) and a rule
that some of its recorded attendance meets."""

from sqlalchemy import select

from workshop.certificates import services
from workshop.db import db
from workshop.demo import data
from workshop.demo.seed import seed_demo
from workshop.workshops.models import Workshop


def test_the_archive_has_its_implementing_organizations_and_a_rule_some_meet(app):
    seed_demo()
    db.session.commit()
    archive = db.session.scalar(select(Workshop).where(Workshop.code == data.WORKSHOP["code"]))
    assert archive.implementing_organizations == "National Productivity Secretariat, Sri Lanka and APO Secretariat"
    preview = services.preview(archive, services.current_rule(archive))
    assert preview.qualifying and preview.not_qualifying
