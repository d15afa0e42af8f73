from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, TextAreaField
from wtforms.validators import InputRequired

from workshop.certificates.models import RuleKind
from workshop.certificates.services import MAX_REASON

RULE_KINDS = {RuleKind.PLENARY_SHARE.value: "At least this share of the plenary minutes (%)",
              RuleKind.SESSIONS.value: "At least this number of sessions (present for half of each or more)"}


class ApplyRuleForm(FlaskForm):
    """The previewed rule, applied; ``even_if_nobody`` confirms a rule that no one meets yet."""

    kind = HiddenField()
    threshold = HiddenField()
    even_if_nobody = BooleanField("Apply it anyway: no one meets it yet")


class IssueForm(FlaskForm):
    # The choices are those without a certificate; the service, not the form, refuses anyone else, so that a
    # stale page gets "already has a certificate" (409) and a stranger "choose a member" (400).
    person = SelectField("Member", coerce=int, validators=[InputRequired()], validate_choice=False)
    reason = TextAreaField("Reason (kept in the audit log)", validators=[InputRequired()],
                           render_kw={"rows": 2, "maxlength": MAX_REASON})
