"""One safe redirect for every ``next`` or return value: a local path, or the default page.

The hostile values are tried on the function itself, then through the agenda's timezone form over
HTTP, where the answer must never be a 500 and never a Location that a browser would read as another
host, and through the calendar link's renewal, which goes back to the Referer.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest

from workshop.urls import safe_local_path

DEFAULT = "/default"

HOSTILE = [
    # another host, as browsers read it
    "//evil.example", "///evil.example", "//evil.example/w/ABC/", "/\\evil.example", "\\\\evil.example",
    "\\/evil.example", "/\\/evil.example",
    # tabs and newlines, which browsers drop ("/\t/evil" is "//evil"), raw and percent-encoded
    "/\t/evil.example", "/\n/evil.example", "/%09/evil.example", "/%0a", "/%0A", "/%0d%0a", "/%0D%0A",
    "/%0d%0aSet-Cookie:%20session=x", "/\r\nSet-Cookie: session=x", "/x%00", "/\x00", "/x\x7f",
    # leading or trailing whitespace and controls, which browsers strip
    "\t//evil.example", " //evil.example", "\n//evil.example", "\x00//evil.example", "/w/ABC/ ", "/ /evil.example",
    "/\u3000/evil.example", "/%E3%80%80/evil.example", "/\u2028", "/%e2%80%a8",
    # schemes, in any case
    "https://evil.example", "HTTPS://evil.example", "http:evil.example", "https:/evil.example", "hTtP://evil.example",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java%0ascript:alert(1)", "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
    # percent-encoded slashes and backslashes, once or twice
    "%2F%2Fevil.example", "%2f%2fevil.example", "/%2F/evil.example", "/%2f/evil.example", "/%2F%2Fevil.example",
    "/%252F/evil.example", "/%25252F/evil.example", "/%5Cevil.example", "/%5cevil.example", "/%255Cevil.example",
    "%5C%5Cevil.example",
    # dot segments that resolve to "//evil"
    "/../..//evil.example", "/%2e%2e/%2E%2E//evil.example", "/./", "/w/..", "/w/%2e",
    # not a path at all
    "evil.example", "w/ABC/", "\uff0f\uff0fevil.example", "?next=//evil.example", "#x",
    # nothing, or too much
    "", None, "/" + "a" * 5000, "/%25252525252525252F/evil.example",
]

LOCAL = ["/", "/w/ABC/", "/w/ABC/agenda", "/w/ABC/agenda?day=2023-07-18#now", "/w/ABC/people?q=Sita",
         "/w/%C3%A9t%C3%A9/", "/evil.example", "/w/ABC/agenda?next=//evil.example", "/w/ABC/agenda.ics"]


@pytest.mark.parametrize("target", HOSTILE)
def test_a_hostile_value_gives_the_default(target):
    assert safe_local_path(target, DEFAULT) == DEFAULT


@pytest.mark.parametrize("target", LOCAL)
def test_a_path_of_this_site_is_kept_as_it_is(target):
    assert safe_local_path(target, DEFAULT) == target


def where_a_browser_goes(location: str, page: str = "http://localhost/w/ABC/agenda") -> tuple[str, str]:
    """(scheme, host) a browser would go to from ``page`` for this Location, as the URL standard reads it:
    leading and trailing controls and spaces stripped, tabs and newlines dropped, backslash as slash."""
    text = re.sub(r"[\t\n\r]", "", location.strip("".join(map(chr, range(0x21))))).replace("\\", "/")
    target = urlsplit(urljoin(page, text))
    return target.scheme, target.netloc


def test_the_browser_model_of_this_test_sees_the_attacks_it_must():
    assert where_a_browser_goes("//evil.example") == ("http", "evil.example")
    assert where_a_browser_goes("/\t/evil.example") == ("http", "evil.example")
    assert where_a_browser_goes("/\\evil.example") == ("http", "evil.example")
    assert where_a_browser_goes(" https://evil.example") == ("https", "evil.example")
    assert where_a_browser_goes("javascript:alert(1)")[0] == "javascript"
    assert where_a_browser_goes("/w/ABC/") == ("http", "localhost")


@pytest.fixture
def signed_in(client, make):
    make.sign_in(client, make.member(make.workshop(), timezone="UTC"))
    return client


def test_the_timezone_form_never_sends_a_browser_elsewhere_and_never_fails(signed_in, make):
    for target in [t for t in HOSTILE if t is not None] + ["/w/ABC/agenda%0a", "/w/ABC/agenda?x=%0d%0a"]:
        answer = make.post(signed_in, "/me/timezone", {"timezone": "Asia/Colombo", "next": target})
        assert answer.status_code == 302, repr(target)
        location = answer.headers["Location"]
        assert where_a_browser_goes(location) == ("http", "localhost"), (target, location)
        assert location == "/", (target, location)  # the default: the list of one's workshops


def test_the_timezone_form_follows_a_local_next_and_goes_home_without_one(signed_in, make):
    for target in LOCAL:
        answer = make.post(signed_in, "/me/timezone", {"timezone": "Asia/Colombo", "next": target})
        assert (answer.status_code, answer.headers["Location"]) == (302, target)
    answer = make.post(signed_in, "/me/timezone", {"timezone": "Asia/Colombo"})
    assert (answer.status_code, answer.headers["Location"]) == (302, "/")


def test_renewing_the_calendar_link_goes_back_only_to_a_page_of_this_site(signed_in, make):
    for referrer, expected in [("http://localhost/w/ABC/agenda?day=2", "/w/ABC/agenda?day=2"),
                               ("http://localhost//evil.example/", "/"), ("http://localhost/%2F/evil.example", "/"),
                               ("http://localhost/%5Cevil.example", "/"), ("http://evil.example/w/ABC/", "/"),
                               ("javascript:alert(1)", "/"), ("", "/")]:
        answer = make.post(signed_in, "/me/calendar/renew", headers={"Referer": referrer} if referrer else {})
        assert (answer.status_code, answer.headers["Location"]) == (302, expected), referrer
