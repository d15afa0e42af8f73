"""Forms every feature uses the same way: the bare action button, and saving a submitted form through a
service function."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask_wtf import FlaskForm

from workshop.db import db
from workshop.errors import ValidationError

T = TypeVar("T")


class ActionForm(FlaskForm):
    """A button that changes something: carries only the CSRF token."""


def show_errors(form: FlaskForm, error: ValidationError) -> None:
    """Put each message next to its field, or above the form when no field has that name."""
    for name, message in error.errors.items():
        target = getattr(form, name, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors or []) + [message]
        else:
            form.form_errors.append(message)


def submit(form: FlaskForm, save: Callable[[], T]) -> tuple[T | None, int]:
    """Validate the form and run ``save``, committing only if it succeeds.

    Returns the saved object and 200, or None and the status to answer with
    (200 for a first display, 400 or the rule's own status for bad input), the
    errors then shown on the form and nothing written.
    """
    if not form.validate_on_submit():
        return None, 400 if form.is_submitted() else 200
    try:
        result = save()
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        show_errors(form, error)
        return None, error.status
    return result, 200
