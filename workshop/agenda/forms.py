from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from workshop.agenda.models import SessionKind


class SessionForm(FlaskForm):
    kind = SelectField("Kind", choices={k.value: k.value.capitalize() for k in SessionKind})
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    # InputRequired, not DataRequired: DataRequired would replace "Not a valid datetime value" with "required".
    starts_at = DateTimeLocalField("Starts", validators=[InputRequired()], format="%Y-%m-%dT%H:%M")
    ends_at = DateTimeLocalField("Ends", validators=[InputRequired()], format="%Y-%m-%dT%H:%M")
    video_url = StringField("Video room link", validators=[Optional(), Length(max=500)],
                            description="https:// link to Zoom, Teams or Jitsi")
    description = TextAreaField("Description", validators=[Length(max=5000)], render_kw={"rows": 3})
    speakers = TextAreaField("Speakers", validators=[Length(max=5000)], description="One per line",
                             render_kw={"rows": 2})
    resource_persons = TextAreaField("Resource persons", validators=[Length(max=5000)], description="One per line",
                                     render_kw={"rows": 2})
    moderators = SelectMultipleField("Moderators of this session", coerce=int, validate_choice=False)


class LinkMaterialForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    url = StringField("Link (https://)", validators=[DataRequired(), Length(max=500)])


class FileMaterialForm(FlaskForm):
    title = StringField("Title", validators=[Optional(), Length(max=200)])


class TimezoneForm(FlaskForm):
    timezone = StringField("Show times in", validators=[DataRequired(), Length(max=64)])
