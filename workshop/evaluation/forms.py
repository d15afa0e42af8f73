"""The organizers' forms; the participants' answers are read by the service from the posted fields."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.validators import InputRequired

from workshop.evaluation.models import QuestionKind


class QuestionForm(FlaskForm):
    kind = RadioField("Kind", choices={QuestionKind.RATING.value: "A rating from 1 to 5",
                                       QuestionKind.TEXT.value: "An open comment"},
                      default=QuestionKind.RATING.value, validators=[InputRequired("Choose the kind.")])
    text = TextAreaField("Question")


class RewordForm(FlaskForm):
    text = TextAreaField("Question")


class SettingsForm(FlaskForm):
    anonymous = BooleanField("Anonymous: store answers without the person's name")
    open_at_end = BooleanField("Open automatically when the last session ends")
