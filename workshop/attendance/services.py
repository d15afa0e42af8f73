"""Attendance rules: time present per person and session (the union of their intervals within the session's
scheduled span), manual entries, the grid and lists organizers see, and deleting intervals while keeping totals."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Float, case, delete, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from workshop.accounts.models import Person
from workshop.agenda.models import AgendaSession, SessionKind
from workshop.attendance.models import AttendanceInterval, AttendancePurge, AttendanceSource, AttendanceTotal
from workshop.audit.services import record
from workshop.db import UTCDateTime, db, utcnow
from workshop.errors import ValidationError
from workshop.workshops.models import Membership, Role, Workshop


class epoch_seconds(FunctionElement):
    """A datetime column as seconds since 1970, computed by the database."""

    type = Float()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_on_sqlite(element, compiler, **kw):
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch_seconds, "postgresql")
def _epoch_on_postgresql(element, compiler, **kw):
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION)"


def _scalar_function(name: str, on_sqlite: str, on_postgresql: str) -> type[FunctionElement]:
    """A scalar SQL function of several numbers, spelled as each database spells it."""
    function = type(name, (FunctionElement,), {"type": Float(), "inherit_cache": True})
    for dialect, spelled in (("sqlite", on_sqlite), ("postgresql", on_postgresql)):
        compiles(function, dialect)(lambda element, compiler, spelled=spelled, **kw:
                                    f"{spelled}({compiler.process(element.clauses, **kw)})")
    return function


# SQLite's max() and min() of several arguments are scalar, PostgreSQL's are aggregates only.
greatest = _scalar_function("greatest", "max", "GREATEST")
least = _scalar_function("least", "min", "LEAST")


def _union_seconds(workshop_id: int, person_id: int | None, session_id: int | None, now: datetime):
    """The query: per person and session, the seconds covered by the union of their intervals within the session's
    span (an open interval runs until ``now``).

    In the database, in one pass: clip each interval to the span and order a pair's intervals by start; each adds
    what it covers beyond the furthest end of those before it (``reach``), nothing if it ends before that. Reading
    35,000 intervals into Python to merge them there cost more than the rest of the grid.
    """
    interval, session = AttendanceInterval.__table__, AgendaSession.__table__
    clipped = (select(interval.c.person_id, interval.c.session_id,
                      greatest(epoch_seconds(interval.c.started_at), epoch_seconds(session.c.starts_at)).label("a"),
                      least(func.coalesce(epoch_seconds(interval.c.ended_at), literal(now.timestamp(), Float)),
                            epoch_seconds(session.c.ends_at)).label("b"))
               .join(session, session.c.id == interval.c.session_id)
               .where(interval.c.workshop_id == workshop_id))
    if person_id is not None:
        clipped = clipped.where(interval.c.person_id == person_id)
    if session_id is not None:
        clipped = clipped.where(interval.c.session_id == session_id)
    clipped = clipped.subquery()
    pair = (clipped.c.person_id, clipped.c.session_id)
    reach = func.max(clipped.c.b).over(partition_by=pair, order_by=(clipped.c.a, clipped.c.b), rows=(None, -1))
    ordered = (select(*pair, clipped.c.a, clipped.c.b, reach.label("reach"))
               .where(clipped.c.b > clipped.c.a).subquery())
    beyond = greatest(literal(0.0, Float), ordered.c.b - greatest(ordered.c.a, func.coalesce(ordered.c.reach,
                                                                                             ordered.c.a)))
    return (select(ordered.c.person_id, ordered.c.session_id, func.sum(beyond))
            .group_by(ordered.c.person_id, ordered.c.session_id))


def seconds_attended(workshop_id: int, person_id: int | None = None,
                     session_id: int | None = None) -> dict[int, dict[int, int]]:
    """person_id -> session_id -> seconds present: the union of recorded and manual intervals within the session's
    scheduled span, plus the totals kept when intervals were deleted. A pair never attended is absent.
    With ``person_id``, that person's only; with ``session_id``, that session's only."""
    attended: dict[int, dict[int, int]] = defaultdict(dict)
    for someone, session, seconds in db.session.execute(_union_seconds(workshop_id, person_id, session_id,
                                                                       utcnow())):
        if int(round(seconds, 3)):  # round: the database's float seconds may be a hair short of whole
            attended[someone][session] = int(round(seconds, 3))
    kept = select(AttendanceTotal.person_id, AttendanceTotal.session_id, AttendanceTotal.seconds) \
        .where(AttendanceTotal.workshop_id == workshop_id, AttendanceTotal.seconds > 0)
    if person_id is not None:
        kept = kept.where(AttendanceTotal.person_id == person_id)
    if session_id is not None:
        kept = kept.where(AttendanceTotal.session_id == session_id)
    for someone, session, seconds in db.session.execute(kept):
        attended[someone][session] = attended[someone].get(session, 0) + seconds
    return dict(attended)


# Pages ---------------------------------------------------------------------------------------------------------

NOT_ATTENDED_KINDS = (SessionKind.BREAK, SessionKind.SOCIAL)  # nobody is expected on a page during these


@dataclass(frozen=True)
class Band:
    """How a share of a session is shown: a symbol (drawn by the stylesheet from ``css``, silent for screen readers,
    which read the percentage) and a word in the legend as well as a shade, so colour is never needed."""

    lowest: float
    symbol: str
    name: str
    css: str


BANDS = (Band(0.75, "●", "75% or more", "att-high"), Band(0.25, "◐", "25% to 74%", "att-mid"),
         Band(0.0001, "○", "under 25%", "att-low"), Band(0.0, "–", "not present", "att-none"))


def band_of(share: float) -> Band:
    return next(band for band in BANDS if share >= band.lowest)


class Cell(NamedTuple):
    """A person's time in a session, with what the grid prints, computed once (the grid has 14,000 of them: a named
    tuple is made several times faster than a frozen dataclass)."""

    seconds: int
    share: float  # of the session's scheduled span, 0..1
    percent: int
    band: Band


def cell(seconds: int, span_seconds: float) -> Cell:
    share = min(1.0, seconds / max(1.0, span_seconds))
    return Cell(seconds, share, round(share * 100), band_of(share))


@dataclass
class GridRow:
    person_id: int
    name: str
    country: str | None
    role: Role
    cells: list[Cell]
    seconds: int
    share: float  # of all the grid's sessions' minutes

    @property
    def percent(self) -> int:
        return round(self.share * 100)


@dataclass
class SessionTotal:
    present: int  # people with any time in the session
    seconds: int
    average_share: float  # over the rows shown

    @property
    def average_percent(self) -> int:
        return round(self.average_share * 100)


@dataclass
class Grid:
    sessions: list[AgendaSession]
    rows: list[GridRow]
    totals: list[SessionTotal]
    countries: list[str]  # every country of the workshop's members, for the filter


def attended_sessions(workshop: Workshop) -> list[AgendaSession]:
    return list(db.session.scalars(select(AgendaSession)
                                   .where(AgendaSession.workshop_id == workshop.id,
                                          AgendaSession.kind.not_in(NOT_ATTENDED_KINDS))
                                   .order_by(AgendaSession.starts_at, AgendaSession.id)))


def grid(workshop: Workshop, country: str | None = None, role: Role | None = None) -> Grid:
    """People x sessions: each person's share of each session's scheduled span, with totals."""
    sessions = attended_sessions(workshop)
    spans = [(s.ends_at - s.starts_at).total_seconds() for s in sessions]
    attended = seconds_attended(workshop.id)
    members = select(Membership.person_id, Person.name, Membership.country, Membership.role) \
        .join(Person, Person.id == Membership.person_id).where(Membership.workshop_id == workshop.id)
    if country:
        members = members.where(Membership.country == country)
    if role:
        members = members.where(Membership.role == role)
    all_span = sum(spans) or 1.0
    rows = []
    for person_id, name, member_country, member_role in db.session.execute(members.order_by(Person.name,
                                                                                            Person.id)):
        mine = attended.get(person_id, {})
        cells = [cell(mine.get(s.id, 0), span) for s, span in zip(sessions, spans)]
        total = sum(cell.seconds for cell in cells)
        rows.append(GridRow(person_id, name, member_country, member_role, cells, total, min(1.0, total / all_span)))
    totals = [SessionTotal(present=sum(1 for row in rows if row.cells[n].seconds),
                           seconds=sum(row.cells[n].seconds for row in rows),
                           average_share=sum(row.cells[n].share for row in rows) / len(rows) if rows else 0.0)
              for n in range(len(sessions))]
    return Grid(sessions, rows, totals, countries_of(workshop))


def countries_of(workshop: Workshop) -> list[str]:
    return list(db.session.scalars(select(Membership.country).distinct()
                                   .where(Membership.workshop_id == workshop.id, Membership.country.is_not(None))
                                   .order_by(Membership.country)))


@dataclass(frozen=True)
class PersonInSession:
    """One person in one session's list."""

    person_id: int
    name: str
    country: str | None
    first_join: datetime | None
    last_leave: datetime | None  # None while a page of theirs is still open
    still_open: bool
    seconds: int


def session_list(workshop: Workshop, session: AgendaSession) -> list[PersonInSession]:
    """Everyone with any interval in the session: first join, last leave and time counted, by first join."""
    table = AttendanceInterval.__table__
    open_rows = func.sum(case((table.c.ended_at.is_(None), 1), else_=0))
    found = {row.person_id: row for row in db.session.execute(
        select(table.c.person_id, func.min(table.c.started_at).label("first_join"),
               func.max(table.c.ended_at).label("last_leave"), open_rows.label("open_rows"))
        .where(table.c.session_id == session.id).group_by(table.c.person_id))}
    kept = {row.person_id: row for row in db.session.execute(
        select(AttendanceTotal.person_id, AttendanceTotal.first_join, AttendanceTotal.last_leave)
        .where(AttendanceTotal.session_id == session.id))}
    attended = seconds_attended(workshop.id, session_id=session.id)
    people = dict(db.session.execute(select(Person.id, Person.name).where(Person.id.in_(set(found) | set(kept)))).all())
    countries = dict(db.session.execute(select(Membership.person_id, Membership.country)
                                        .where(Membership.workshop_id == workshop.id)).all())
    listed = []
    for person_id in set(found) | set(kept):
        row, total = found.get(person_id), kept.get(person_id)
        joins = [moment for moment in (row and row.first_join, total and total.first_join) if moment]
        leaves = [moment for moment in (row and row.last_leave, total and total.last_leave) if moment]
        listed.append(PersonInSession(person_id, people.get(person_id, "(deleted)"), countries.get(person_id),
                                      min(joins) if joins else None, max(leaves) if leaves else None,
                                      bool(row and row.open_rows), attended.get(person_id, {}).get(session.id, 0)))
    return sorted(listed, key=lambda p: (p.first_join is None, p.first_join or utcnow(), p.name))


@dataclass(frozen=True)
class OwnSession:
    session: AgendaSession
    cell: Cell


def own_attendance(workshop: Workshop, person_id: int) -> list[OwnSession]:
    mine = seconds_attended(workshop.id, person_id).get(person_id, {})
    return [OwnSession(s, cell(mine.get(s.id, 0), (s.ends_at - s.starts_at).total_seconds()))
            for s in attended_sessions(workshop)]


# Manual entries ------------------------------------------------------------------------------------------------

MANUAL_ADDED = "attendance added by hand"
MANUAL_REMOVED = "attendance entry removed"
INTERVALS_DELETED = "attendance intervals deleted"
REASON_MAX = 500
LARGEST_ID = 2**31 - 1  # an id column holds no more (PostgreSQL integer); a longer number in a URL is no entry
YEARS = (1900, 9999)  # of an entry by hand, in UTC; beyond them a conversion overflows


def _reason(reason: str, missing: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": missing})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"Keep the reason under {REASON_MAX} characters."})
    if "\x00" in reason:  # PostgreSQL refuses it in text; no one types it
        raise ValidationError({"reason": "The reason contains a NUL character: type it again as plain text."})
    return reason


def _in_utc(moment: datetime, field: str) -> datetime:
    try:
        moment = moment.astimezone(timezone.utc)
    except OverflowError:
        moment = None
    if moment is None or not YEARS[0] <= moment.year < YEARS[1]:
        raise ValidationError({field: f"Choose a time between the years {YEARS[0]} and {YEARS[1] - 1}."})
    return moment


def manual_entries(workshop: Workshop) -> list[AttendanceInterval]:
    return list(db.session.scalars(select(AttendanceInterval)
                                   .where(AttendanceInterval.workshop_id == workshop.id,
                                          AttendanceInterval.source == AttendanceSource.MANUAL)
                                   .order_by(AttendanceInterval.started_at, AttendanceInterval.id)))


def purge_of(workshop: Workshop) -> AttendancePurge | None:
    return db.session.get(AttendancePurge, workshop.id)


def add_manual(workshop: Workshop, actor, person_id: int, session_id: int, started_at: datetime,
               ended_at: datetime, reason: str) -> AttendanceInterval:
    """An organizer's entry (someone who joined by phone): refused if it overlaps another manual entry of the same
    person and session (409), or once the workshop's intervals were deleted (409). Audit-logged."""
    reason = _reason(reason, "Say why this attendance is added (for example: joined by phone).")
    started_at, ended_at = _in_utc(started_at, "started_at"), _in_utc(ended_at, "ended_at")
    if ended_at <= started_at:
        raise ValidationError({"ended_at": "The end must come after the start."})
    session = db.session.scalar(select(AgendaSession).where(AgendaSession.id == session_id,
                                                            AgendaSession.workshop_id == workshop.id))
    if session is None:
        raise ValidationError({"session_id": "Choose a session of this workshop."})
    member = db.session.scalar(select(Membership).where(Membership.workshop_id == workshop.id,
                                                        Membership.person_id == person_id))
    if member is None:
        raise ValidationError({"person_id": "Choose a member of this workshop."})
    if purge_of(workshop) is not None:
        raise ValidationError({"session_id": "This workshop's attendance intervals were deleted, and only totals "
                                             "are kept: no entry can be added any more."}, status=409)
    overlapping = db.session.scalar(select(AttendanceInterval).where(
        AttendanceInterval.session_id == session.id, AttendanceInterval.person_id == person_id,
        AttendanceInterval.source == AttendanceSource.MANUAL,
        AttendanceInterval.started_at < ended_at, AttendanceInterval.ended_at > started_at).limit(1))
    if overlapping is not None:
        raise ValidationError({"started_at": (
            f"This overlaps an entry already made by hand for {member.person.name} in “{session.title}” "
            f"({overlapping.started_at:%Y-%m-%d %H:%M}–{overlapping.ended_at:%H:%M} UTC, reason: "
            f"{overlapping.reason}). Remove that entry first, or choose times that do not overlap it.")}, status=409)
    entry = AttendanceInterval(workshop_id=workshop.id, session_id=session.id, person_id=person_id,
                               started_at=started_at, ended_at=ended_at, source=AttendanceSource.MANUAL,
                               reason=reason, recorded_by_id=actor.id)
    db.session.add(entry)
    record(workshop.id, actor, MANUAL_ADDED, subject=member.person,
           detail=f"{session.title}: {started_at:%Y-%m-%d %H:%M}–{ended_at:%Y-%m-%d %H:%M} UTC. Reason: {reason}")
    return entry


def manual_entry(workshop: Workshop, entry_id: int) -> AttendanceInterval | None:
    """An entry made by hand in this workshop (recorded ones are what happened, and are never removed by hand)."""
    return db.session.scalar(select(AttendanceInterval).where(AttendanceInterval.id == entry_id,
                                                              AttendanceInterval.workshop_id == workshop.id,
                                                              AttendanceInterval.source == AttendanceSource.MANUAL))


def remove_manual(entry: AttendanceInterval, actor, reason: str) -> None:
    """Remove an entry made by hand, with a reason. Audit-logged."""
    reason = _reason(reason, "Say why this entry is removed.")
    record(entry.workshop_id, actor, MANUAL_REMOVED, subject=entry.person,
           detail=f"{entry.session.title}: {entry.started_at:%Y-%m-%d %H:%M}–{entry.ended_at:%Y-%m-%d %H:%M} UTC "
                  f"(added for: {entry.reason}). Reason: {reason}")
    db.session.delete(entry)


# Deleting intervals, keeping totals ---------------------------------------------------------------------------

def has_ended(workshop: Workshop, now: datetime | None = None) -> bool:
    """After the workshop's last day in its host zone, and after its last session."""
    now = now or utcnow()
    after_last_day = datetime.combine(workshop.ends_on + timedelta(days=1), time(), ZoneInfo(workshop.timezone))
    last_end = db.session.scalar(select(func.max(AgendaSession.ends_at))
                                 .where(AgendaSession.workshop_id == workshop.id))
    return now >= after_last_day and (last_end is None or now >= last_end)


def delete_intervals(workshop: Workshop, actor) -> int:
    """Replace the workshop's intervals by per person and session totals (time counted, first join, last leave),
    after the workshop has ended; returns how many intervals were deleted. Audit-logged."""
    if not has_ended(workshop):
        raise ValidationError({"confirm": "The workshop has not ended yet: intervals can be deleted only after "
                                          "its last day."}, status=409)
    attended = seconds_attended(workshop.id)
    table = AttendanceInterval.__table__
    bounds = db.session.execute(select(table.c.person_id, table.c.session_id, func.min(table.c.started_at),
                                       func.max(func.coalesce(table.c.ended_at, literal(utcnow(), UTCDateTime))))
                                .where(table.c.workshop_id == workshop.id)
                                .group_by(table.c.person_id, table.c.session_id)).all()
    kept = {(t.person_id, t.session_id): t for t in db.session.scalars(
        select(AttendanceTotal).where(AttendanceTotal.workshop_id == workshop.id))}
    for person_id, session_id, first_join, last_leave in bounds:
        seconds = attended.get(person_id, {}).get(session_id, 0)
        total = kept.get((person_id, session_id))
        if total is None:
            db.session.add(AttendanceTotal(workshop_id=workshop.id, session_id=session_id, person_id=person_id,
                                           seconds=seconds, first_join=first_join, last_leave=last_leave))
        else:  # deleted once already: what was counted since is in seconds_attended with the kept total
            total.seconds = seconds
            total.first_join = min(filter(None, (total.first_join, first_join)))
            total.last_leave = max(filter(None, (total.last_leave, last_leave)))
    deleted = db.session.execute(delete(AttendanceInterval).where(AttendanceInterval.workshop_id == workshop.id))
    purge = purge_of(workshop) or AttendancePurge(workshop_id=workshop.id)
    purge.purged_at, purge.purged_by_id = utcnow(), actor.id
    db.session.add(purge)
    record(workshop.id, actor, INTERVALS_DELETED,
           detail=f"{deleted.rowcount} intervals deleted; totals per person and session kept.")
    return deleted.rowcount


def interval_count(workshop: Workshop) -> int:
    return db.session.scalar(select(func.count()).select_from(AttendanceInterval)
                             .where(AttendanceInterval.workshop_id == workshop.id))


# Exports -------------------------------------------------------------------------------------------------------

def grid_csv(grid_: Grid) -> tuple[list[str], list[list]]:
    header = ["Name", "Country", "Role"]
    for session in grid_.sessions:
        label = f"{session.title} ({session.starts_at:%Y-%m-%d %H:%M} UTC)"
        header += [f"{label} minutes", f"{label} percent"]
    header += ["Total minutes", "Percent of all sessions"]
    rows = [[row.name, row.country or "", row.role.value,
             *[value for cell in row.cells for value in (round(cell.seconds / 60), cell.percent)],
             round(row.seconds / 60), row.percent] for row in grid_.rows]
    return header, rows


def intervals_csv(workshop: Workshop) -> tuple[list[str], list[list]]:
    header = ["Person", "Country", "Session", "Started (UTC)", "Ended (UTC)", "Source", "Reason", "Recorded by"]
    recorded_by = aliased(Person)
    found = db.session.execute(
        select(Person.name, Membership.country, AgendaSession.title, AttendanceInterval.started_at,
               AttendanceInterval.ended_at, AttendanceInterval.source, AttendanceInterval.reason, recorded_by.name)
        .join(Person, Person.id == AttendanceInterval.person_id)
        .join(AgendaSession, AgendaSession.id == AttendanceInterval.session_id)
        .outerjoin(Membership, (Membership.person_id == AttendanceInterval.person_id)
                   & (Membership.workshop_id == AttendanceInterval.workshop_id))
        .outerjoin(recorded_by, recorded_by.id == AttendanceInterval.recorded_by_id)
        .where(AttendanceInterval.workshop_id == workshop.id)
        .order_by(AgendaSession.starts_at, Person.name, AttendanceInterval.started_at))
    rows = [[name, country or "", title, started.isoformat(timespec="seconds"),
             ended.isoformat(timespec="seconds") if ended else "still open", source.value, reason, by or ""]
            for name, country, title, started, ended, source, reason, by in found]
    return header, rows
