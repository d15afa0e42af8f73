from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, SelectMultipleField
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from workshop.breakouts.models import AssignmentMode, BreakoutRound
from workshop.breakouts.services import LIMITED_ROLES

MODE_HELP = {
    AssignmentMode.BALANCED: "Balanced random: room sizes differ by at most one",
    AssignmentMode.DIVERSE: "Diverse: as many countries (then organizations) in each room as possible",
    AssignmentMode.ROTATION: "Rotation: new partners, fewest pairs who already met in an earlier round",
    AssignmentMode.SELF_SELECT: "Self-select: participants choose a room, within each room's capacity",
    AssignmentMode.CSV: "Import a CSV file of who goes where",
}


class RoundForm(FlaskForm):
    """The settings of a round; the rules are checked by services.clean_round_fields."""

    mode = SelectField("How people are split", choices={m.value: text for m, text in MODE_HELP.items()},
                       default=AssignmentMode.DIVERSE.value)
    rooms_by = RadioField("Rooms", choices={"count": "A number of rooms", "size": "A room size"}, default="count")
    room_count = IntegerField("Number of rooms", validators=[Optional()], default=4)
    room_size = IntegerField("People per room", validators=[Optional()])
    duration_minutes = IntegerField("Duration in minutes (optional: a countdown for everyone)",
                                    validators=[Optional()], default=20)
    spread_leads = BooleanField("One moderator or facilitator per room, where there are enough")
    max_one_roles = SelectMultipleField("At most one per room",
                                        choices={r: r.capitalize() + "s" for r in LIMITED_ROLES},
                                        option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    notes_by_members = BooleanField("Everyone in a room may write its notes (not only the rapporteur)", default=True)

    @classmethod
    def of(cls, round_: BreakoutRound) -> "RoundForm":
        return cls(formdata=None, mode=round_.mode.value, rooms_by="size" if round_.room_size else "count",
                   room_count=round_.room_count, room_size=round_.room_size,
                   duration_minutes=round_.duration_seconds // 60 if round_.duration_seconds else None,
                   spread_leads=round_.spread_leads, max_one_roles=sorted(round_.max_one_role_set),
                   notes_by_members=round_.notes_by_members)
