"""The audit log: one per workshop, read by its organizers. Every feature writes to it through ``record``.

It imports no feature, so every feature may write to it. Its page, which asks the workshops'
permissions, is ``workshop/audit_log/``.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    from workshop.audit import models  # noqa: F401
