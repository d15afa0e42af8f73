"""Live Q&A: questions, upvotes and moderation that every participant sees live."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Registers the feature's blueprint and socket handlers."""
