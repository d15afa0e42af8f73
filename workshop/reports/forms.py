from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateTimeLocalField, HiddenField, IntegerField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from workshop.reports.models import DEFAULT_MAX_MB
from workshop.uploads.storage import KINDS


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SlotForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired(), Length(max=200)], default="Country report")
    instructions = TextAreaField("Instructions to the country", validators=[Length(max=5000)],
                                 render_kw={"rows": 3})
    due_at = DateTimeLocalField("Due (host time)", validators=[Optional()], format="%Y-%m-%dT%H:%M")
    allowed_kinds = CheckboxesField("Accepted file types", choices={k.name: k.label for k in KINDS.values()},
                                    default=list(KINDS))
    max_mb = IntegerField("Maximum size (MB)", validators=[InputRequired(), NumberRange(min=1)],
                          default=DEFAULT_MAX_MB)
    participants_may_upload = BooleanField("Participants may upload their own country's report", default=True)


class ReviewForm(FlaskForm):
    action = HiddenField()
    note = TextAreaField("Note to the country", validators=[Length(max=2000)], render_kw={"rows": 2})
