from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from workshop.polls.models import PollKind, RankingMethod


class PollForm(FlaskForm):
    kind = SelectField("Kind", choices={k.value: k.value.capitalize() for k in PollKind})
    question = StringField("Question", validators=[DataRequired(), Length(max=300)])
    options = TextAreaField("Options", validators=[Length(max=5000)], render_kw={"rows": 4},
                            description="One per line (choice and ranking polls)")
    max_picks = IntegerField("Most picks (multiple choice)", default=2, validators=[Optional(), NumberRange(1, 20)])
    scale_max = SelectField("Rating scale", choices={"5": "1 to 5", "10": "1 to 10"}, default="5")
    ranking_method = SelectField("Rank by", choices={m.value: m.value.capitalize() for m in RankingMethod})
    duration_seconds = IntegerField("Countdown in seconds (optional)", validators=[Optional(), NumberRange(10, 3600)])
    anonymous = BooleanField("Anonymous (exports do not name voters)")
    allow_change = BooleanField("Voters may change their vote", default=True)
    results_visible = BooleanField("Show results to participants while voting")
