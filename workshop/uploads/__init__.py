"""The one upload and storage module: files checked by content, stored once by content hash."""

from flask import Flask


def init_app(app: Flask) -> None:
    from workshop.uploads import models  # noqa: F401
