"""One load process of bench/live_polls.py: pages of a session on gevent, driven by the coordinator (bench/live_storm.py
and bench/live_page.py tell how), the same for the app and the floor.

A participant's page shows the poll once it holds its card (``poll-<id>``, added
to ``session-polls`` when the poll opens, or in the snapshot on reconnection), and
votes then, at its turn: ``vote`` {"poll", "answer": {"option"}} with an
acknowledgement. A page shows a vote once it holds the poll's results at the
acknowledged version or above: ``poll-results-<id>`` on the session page and the
projector (polls/_results.html), ``poll-staff-results-<id>`` on the desk
(polls/_staff_results.html, the desk room's fragment).
"""

from gevent import monkey

monkey.patch_all()

from common import DESK, PARTICIPANT, PROJECTOR  # noqa: E402
from live_page import Action, LivePage, run_load_process  # noqa: E402


class PollPage(LivePage):
    TARGETS = {PARTICIPANT: "poll-results-{}", PROJECTOR: "poll-results-{}", DESK: "poll-staff-results-{}"}


def page_skeleton(role: str, poll: int) -> dict:
    """The live elements of the page as loaded: the session page and the projector have the (empty) polls area
    (agenda/session.html, polls/projector.html), the desk the poll's control card with its staff results
    (polls/control.html)."""
    return {f"poll-staff-results-{poll}": None} if role == DESK else {"session-polls": None}


class Vote(Action):
    def __init__(self, at: float, page: PollPage, poll: int, option: int):
        super().__init__(at, "vote", page, key=poll)
        self.option = option

    def ready(self) -> bool:
        return f"poll-{self.key}" in self.page.held

    def message(self) -> tuple[str, dict]:
        return "vote", {"poll": self.key, "answer": {"option": self.option}}


def make_page(entry: dict, setup: dict) -> PollPage:
    return PollPage(entry, setup, page_skeleton(entry["role"], setup["poll"]))


def make_actions(pages: dict[int, PollPage], setup: dict) -> list[Vote]:
    options = setup["options"]
    return [Vote(vote["at"], pages[vote["index"]], setup["poll"], options[vote["index"] % len(options)])
            for vote in setup["plan"]]


if __name__ == "__main__":
    run_load_process(make_page, make_actions)
