"""One load process of bench/live_qa.py: pages of a session on gevent, driven by the coordinator (bench/live_storm.py
and bench/live_page.py tell how), the same for the app and the floor.

A participant asks with ``qa_ask`` {"session", "text", "anonymous"} and upvotes
with ``qa_upvote`` {"question", "on"}, both with an acknowledgement carrying the
question and its version. It knows a question by its number (its text says
"Bench question <number>:") and upvotes only one its page shows. A page shows an
action once it holds the question at the acknowledged version or above:
``question-<id>`` on the session page and the projector (qa/_question.html, in the
list ``questions-<session>``), ``queue-question-<id>`` on the desk
(qa/_queue_card.html, in ``queue-<session>``); a ``qa_counts`` entry raises the
version of every copy the page holds, as qa.js writes the count into each.
"""

from gevent import monkey

monkey.patch_all()

import functools  # noqa: E402
import re  # noqa: E402

from common import DESK, PARTICIPANT, PROJECTOR  # noqa: E402
from live_page import Action, LivePage, run_load_process  # noqa: E402

# A question's number, from its text on the session page or on the desk.
TEXT = re.compile(r'id="(?:question|queue)-text-(\d+)">Bench question (\d+):')


@functools.lru_cache(maxsize=256)
def question_numbers(html: str) -> dict[int, int]:
    """The questions a fragment names: number -> id. Cached: every page of the process gets the same messages."""
    return {int(number): int(question_id) for question_id, number in TEXT.findall(html)}


class QaPage(LivePage):
    TARGETS = {PARTICIPANT: "question-{}", PROJECTOR: "question-{}", DESK: "queue-question-{}"}
    COPIES = ("question-{}", "queue-question-{}")  # qa.js writes a count into every copy the page holds

    def __init__(self, entry: dict, setup: dict):
        # As loaded: the (empty) list of the session page and of the projector, the desk's queue.
        list_id = f"queue-{setup['session']}" if entry["role"] == DESK else f"questions-{setup['session']}"
        super().__init__(entry, setup, {list_id: None})
        self.numbers: dict[int, int] = {}

    def handlers(self) -> dict:
        return {**super().handlers(), "qa_counts": self.on_counts}

    def on_fragment(self, html) -> None:
        super().on_fragment(html)
        self.numbers.update(question_numbers(html if isinstance(html, str) else ""))

    def on_counts(self, message) -> None:
        now = self.received()
        for question_id, version, _votes in message.get("counts", []):
            for copy in self.COPIES:
                self.take_count(copy.format(question_id), version, now)


class QaAction(Action):
    def __init__(self, at: float, kind: str, page: QaPage, number: int):
        super().__init__(at, kind, page)
        self.number = number

    def key_from(self, answer: dict):
        return answer["question"]


class Ask(QaAction):
    def message(self) -> tuple[str, dict]:
        return "qa_ask", {"session": self.page.auth["session"], "anonymous": False,
                          "text": f"Bench question {self.number}: what comes next for client {self.page.index}?"}


class Upvote(QaAction):
    def ready(self) -> bool:
        question_id = self.page.numbers.get(self.number)
        return question_id is not None and f"question-{question_id}" in self.page.held

    def message(self) -> tuple[str, dict]:
        self.key = self.page.numbers[self.number]
        return "qa_upvote", {"question": self.key, "on": True}


def make_actions(pages: dict[int, QaPage], setup: dict) -> list[QaAction]:
    kinds = {"ask": Ask, "upvote": Upvote}
    return [kinds[planned["kind"]](planned["at"], planned["kind"], pages[planned["index"]], planned["number"])
            for planned in setup["plan"]]


if __name__ == "__main__":
    run_load_process(QaPage, make_actions)
