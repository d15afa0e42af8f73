"""A workshop's audit log page, for its organizers (People -> Audit log).

The log itself, its lines and how a feature writes one (``workshop.audit.services.record``), is
``workshop/audit/``: below every feature that writes to it. The page sits above them, since it
asks the workshops' permissions and shows times in the viewer's zone (the agenda's clock).
"""

from flask import Flask


def init_app(app: Flask) -> None:
    from workshop.audit_log import routes

    app.register_blueprint(routes.blueprint)
