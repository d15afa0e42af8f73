"""Timezone names as the IANA tz database spells them today.

Browsers report zones through ICU, which keeps old names (Chromium says ``Asia/Calcutta``, ``Asia/Katmandu``,
``Asia/Saigon``, ``Asia/Rangoon``, ``Europe/Kiev``); older imports and databases hold them too. Every name the
app offers, saves or shows goes through :func:`current_name` first.

The map comes from CLDR's zone aliases as Babel ships them, not from the tz database's own backward links
(the ``L`` lines of tzdata's ``tzdata.zi``). Both are well kept and follow IANA's renames, but the backward
links point an old name at whichever zone has kept the same clocks since 1970, not at the same place:
``Asia/Phnom_Penh`` at ``Asia/Bangkok``, ``Asia/Kuala_Lumpur`` at ``Asia/Singapore``, ``Iceland`` at
``Africa/Abidjan``, ``Pacific/Truk`` at ``Pacific/Port_Moresby``. A Cambodian official would be shown Bangkok.
CLDR maps each old name to the current IANA name of the same place (its ``iana`` attribute), and it is the
table ICU itself uses, so it knows every name a browser reports.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from babel.core import get_global

# CLDR's current name for UTC is Etc/UTC; the app keeps "UTC", as ECMA-402 (what browsers report) and every
# person's default do.
UTC = "UTC"


@cache
def _known() -> frozenset[str]:
    return frozenset(available_timezones()) | {UTC}


def is_known(name: str) -> bool:
    """A zone name the installed tz database has, current or old."""
    return name in _known()


@cache
def aliases() -> dict[str, str]:
    """Each old name the installed tz database still knows, mapped to its current name."""
    known = _known()
    found = {old: (UTC if new == "Etc/UTC" else new) for old, new in get_global("zone_aliases").items()}
    found["Etc/UTC"] = UTC
    # A name CLDR renamed before the installed tz database did stays as it is: it must still load.
    return {old: new for old, new in found.items() if old in known and new in known and old != new}


def current_name(name: str) -> str:
    """The current IANA name of a zone (``Asia/Katmandu`` -> ``Asia/Kathmandu``); any other name as it is."""
    return aliases().get(name, name)


@cache
def offered_names() -> tuple[str, ...]:
    """Every current zone name, sorted: what a timezone field offers (no old spelling of a zone offered twice)."""
    return tuple(sorted(_known() - aliases().keys()))
