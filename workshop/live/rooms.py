"""Socket.IO room names: a fragment goes to the room of the pages that show its target.

One per workshop, per moderator desk, per session page, per breakout room page; per person (what every page of
theirs shows: a refusal, a sign-out), per person in a workshop, and per person on one session's pages.
"""


def workshop_room(workshop_id: int) -> str:
    return f"workshop:{workshop_id}"


def desk_room(workshop_id: int) -> str:
    """Organizers and moderators of a workshop: what only staff may see goes here."""
    return f"desk:{workshop_id}"


def organizers_room(workshop_id: int) -> str:
    """Organizers only: what moderators may not see either (the country-report dashboard)."""
    return f"organizers:{workshop_id}"


def person_room(person_id: int) -> str:
    return f"person:{person_id}"


def person_session_room(person_id: int, session_id: int) -> str:
    """One person's pages of one session: what only they see there (their breakout card, their pending question)."""
    return f"person:{person_id}:session:{session_id}"


def session_room(session_id: int) -> str:
    """Everyone on one agenda session's live page."""
    return f"session:{session_id}"


def breakout_room(room_id: int) -> str:
    """Everyone on one breakout room's page (its people, and moderators dropping in)."""
    return f"breakout-room:{room_id}"


def access_room(workshop_id: int, person_id: int) -> str:
    """Every page of one person in one workshop: what ends their access there ends these connections."""
    return f"access:{workshop_id}:{person_id}"
