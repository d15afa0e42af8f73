from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length


class QaSettingsForm(FlaskForm):
    anonymous_allowed = BooleanField("Participants may ask anonymously")
    premoderation = BooleanField("Pre-moderation: questions appear for everyone only after approval")


class BlockedWordsForm(FlaskForm):
    words = TextAreaField("Blocked words", validators=[Length(max=20000)], render_kw={"rows": 4},
                          description="One word or phrase per line; matched as whole words, ignoring case. "
                                      "Applies to every session of this workshop.")
