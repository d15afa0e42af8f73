from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from workshop.accounts.services import MIN_PASSWORD_LENGTH

NEW_PASSWORD_HINT = f"At least {MIN_PASSWORD_LENGTH} characters. A few words you will remember work well."


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=500)])


class InviteForm(FlaskForm):
    """Only the CSRF token: entering with an invite link is a deliberate click, not a link prefetch."""


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=500)],
                             description=NEW_PASSWORD_HINT)
    confirm = PasswordField("New password again",
                            validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")])


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=500)])


class DeleteAccountForm(FlaskForm):
    confirm_text = StringField("Type DELETE to confirm", validators=[DataRequired(), Length(max=20)])
    understood = BooleanField("I understand that my account cannot be restored", validators=[DataRequired()])
