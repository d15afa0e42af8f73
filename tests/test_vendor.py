"""Check vendored third-party files against their VERSIONS manifests.

Each VERSIONS line: <filename> <npm package>@<version> sha256=<hex> source=<path> [note]
Lines starting with '#' and blank lines are ignored.
"""

import hashlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
VENDOR_DIRS = [
    ROOT / "workshop" / "static" / "vendor",
    ROOT / "tests" / "vendor",
]

LINE_RE = re.compile(
    r"^(?P<name>\S+) (?P<pkg>\S+@\d\S*) sha256=(?P<sha>[0-9a-f]{64}) source=(?P<source>\S+)(?: .*)?$"
)


def parse_versions(vendor_dir: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    text = (vendor_dir / "VERSIONS").read_text(encoding="utf-8")
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        m = LINE_RE.match(line)
        assert m, f"{vendor_dir}/VERSIONS:{lineno}: malformed line: {line!r}"
        name = m["name"]
        assert "/" not in name, f"{vendor_dir}/VERSIONS:{lineno}: filename must be bare"
        assert name not in entries, f"{vendor_dir}/VERSIONS:{lineno}: duplicate {name}"
        entries[name] = m["sha"]
    return entries


@pytest.mark.parametrize("vendor_dir", VENDOR_DIRS, ids=lambda p: str(p.relative_to(ROOT)))
def test_vendored_files_match_versions(vendor_dir: Path) -> None:
    entries = parse_versions(vendor_dir)
    assert entries, f"{vendor_dir}/VERSIONS lists no files"
    for name, expected in entries.items():
        path = vendor_dir / name
        assert path.is_file(), f"{path} listed in VERSIONS but missing"
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        assert actual == expected, f"{path}: sha256 {actual} != VERSIONS {expected}"


@pytest.mark.parametrize("vendor_dir", VENDOR_DIRS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_vendored_file_is_listed(vendor_dir: Path) -> None:
    entries = parse_versions(vendor_dir)
    present = {p.name for p in vendor_dir.iterdir() if p.name != "VERSIONS"}
    unlisted = sorted(present - entries.keys())
    assert not unlisted, f"{vendor_dir}: files not listed in VERSIONS: {unlisted}"
