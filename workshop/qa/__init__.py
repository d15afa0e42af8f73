"""Live Q&A: questions, upvotes and moderation that every participant sees live."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Registers the feature's blueprint and socket handlers."""
    from workshop.qa import live, routes, services

    app.register_blueprint(routes.blueprint)
    app.jinja_env.globals["qa_settings"] = services.settings_of
    app.jinja_env.globals["qa_asker_banned"] = lambda question: services.is_banned(question.workshop_id,
                                                                                    question.person_id)
    live.register()
