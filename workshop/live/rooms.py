"""Socket.IO room names, one per workshop, per moderator desk, per person and per person in a workshop."""


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


def session_room(session_id: int) -> str:
    """Everyone on one agenda session's live page."""
    return f"session:{session_id}"


def breakout_room(room_id: int) -> str:
    """Everyone on one breakout room's page (its people, and moderators dropping in)."""
    return f"breakout-room:{room_id}"


def access_room(workshop_id: int, person_id: int) -> str:
    """Every page of one person in one workshop: what ends their access there ends these connections."""
    return f"access:{workshop_id}:{person_id}"
