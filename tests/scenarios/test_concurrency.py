"""Two or three clerks at once on one workspace: real processes issuing and marking together."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import FORMSMITH, store_rows

CLERK = """
import subprocess, sys
formsmith, home, unit, tag, n = sys.argv[1:6]
for i in range(int(n)):
    subprocess.run([formsmith, '--home', home, 'render', 'dunning-letter', '--unit', unit,
                    '--as-of', '2025-12-01', '--again', '--by', tag], check=True, capture_output=True)
"""

MARKER = """
import subprocess, sys
formsmith, home, tag = sys.argv[1:4]
docs = sys.argv[4:]
for state in ('printed', 'sent', 'delivered'):
    for d in docs:
        subprocess.run([formsmith, '--home', home, 'docs', 'mark', d, state, '--by', tag,
                        '--note', f'{tag} {state}'], check=True, capture_output=True)
"""

pytestmark = pytest.mark.slow  # scenarios that kill, race or crash real processes


def letters(home) -> list[dict]:
    """The 物催字 series (the demo's receipt has a series of its own)."""
    return [d for d in store_rows(home, "documents") if d["template"] == "dunning-letter"]


def test_clerks_issuing_and_marking_at_once_lose_nothing_and_share_no_number(demo_copy):
    docs = letters(demo_copy)
    units = [d["unit"] for d in docs]
    procs = [subprocess.Popen([sys.executable, "-c", CLERK, FORMSMITH, str(demo_copy), unit,
                               f"clerk{i}", "2"], stderr=subprocess.PIPE, text=True)
             for i, unit in enumerate(units[:2])]
    procs.append(subprocess.Popen([sys.executable, "-c", MARKER, FORMSMITH, str(demo_copy), "marker",
                                   *[d["doc_no"] for d in docs]], stderr=subprocess.PIPE, text=True))
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    after = letters(demo_copy)
    assert len(after) == len(docs) + 4
    numbers = [d["doc_no"] for d in after]
    assert len(set(numbers)) == len(numbers)
    assert sorted(d["seq"] for d in after) == list(range(1, len(after) + 1))
    for d in after:
        if d["doc_no"] in {x["doc_no"] for x in docs}:
            assert d["state"] == "delivered"
            assert [e["state"] for e in d["events"]] == ["generated", "printed", "sent", "delivered"]
    by = [d["events"][0]["by"] for d in after[len(docs):]]
    assert sorted(by) == ["clerk0", "clerk0", "clerk1", "clerk1"]
    report = json.loads(subprocess.run([FORMSMITH, "--home", str(demo_copy), "fsck", "--json"],
                                       capture_output=True, text=True).stdout)
    assert report["problems"] == []
