from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length

from workshop.attendance.services import REASON_MAX


class ManualEntryForm(FlaskForm):
    person_id = SelectField("Person", coerce=int, validators=[InputRequired()])
    session_id = SelectField("Session", coerce=int, validators=[InputRequired()])
    started_at = DateTimeLocalField("From (host time)", validators=[InputRequired()], format="%Y-%m-%dT%H:%M")
    ended_at = DateTimeLocalField("Until (host time)", validators=[InputRequired()], format="%Y-%m-%dT%H:%M")
    reason = TextAreaField("Reason", validators=[InputRequired(), Length(max=REASON_MAX)], render_kw={"rows": 2},
                           description="Written to the audit log: for example, joined by phone.")


class RemoveEntryForm(FlaskForm):
    reason = TextAreaField("Reason for removing it", validators=[InputRequired(), Length(max=REASON_MAX)],
                           render_kw={"rows": 1})


class DeleteIntervalsForm(FlaskForm):
    confirm = BooleanField("I understand: the times of each join and leave are deleted for good, and only each "
                           "person's total per session is kept.", validators=[InputRequired()])
