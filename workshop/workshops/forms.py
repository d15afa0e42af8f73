from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from workshop.workshops.models import Modality, Role


class WorkshopForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    code = StringField("Code", validators=[DataRequired(), Length(max=40)],
                       description="Letters, digits and dashes, e.g. 23-IP-02-GE-WSP-A")
    # InputRequired, not DataRequired: a typed date that cannot be read must say so, not "required".
    starts_on = DateField("First day", validators=[InputRequired()])
    ends_on = DateField("Last day", validators=[InputRequired()])
    timezone = StringField("Host timezone", validators=[DataRequired(), Length(max=64)],
                           description="IANA name, e.g. Asia/Colombo")
    modality = SelectField("Modality", choices={m.value: m.value.capitalize() for m in Modality})
    objectives = TextAreaField("Objectives", validators=[Length(max=5000)], description="One per line")
    topics = TextAreaField("Topics", validators=[Length(max=5000)], description="One per line")
    implementing_organizations = StringField("Implementing organizations", validators=[Length(max=500)],
                                             description="As printed on certificates, e.g. "
                                                         "National Productivity Secretariat, Sri Lanka and APO Secretariat")
    join_enabled = BooleanField("Allow self-registration with a join code")


class ImportUploadForm(FlaskForm):
    file = FileField("Participant list (CSV)")


class ImportConfirmForm(FlaskForm):
    csv = HiddenField()


class StaffForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", choices={Role.MODERATOR.value: "Moderator", Role.ORGANIZER.value: "Organizer"})


class JoinForm(FlaskForm):
    join_code = StringField("Join code", validators=[DataRequired(), Length(max=40)])
    name = StringField("Full name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    country = StringField("Country", validators=[DataRequired(), Length(max=60)],
                          description="Country name or ISO code, e.g. Nepal or NP")
    organization = StringField("Organization", validators=[Length(max=300)])
    timezone = HiddenField()
