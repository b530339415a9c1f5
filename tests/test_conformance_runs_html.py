"""The month-end run with the html engine through its three stages, unsealed and sealed:
every letter must pass what a single document passes, and the print files qpdf and Ghostscript
(tests/conformance.py has the runs and the verdict)."""
from __future__ import annotations

import pytest

from conformance import _case_id, assert_issued_file_conforms, batches, sealing_env  # noqa: F401
from validators import ghostscript_problems, qpdf_problems

pytestmark = pytest.mark.slow

CASES = [("html", False), ("html", True)]


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_every_letter_of_the_month_end_run_conforms(batches, case):  # noqa: F811
    issued, _ = batches(case)
    for path, verdict, declared in issued:
        assert_issued_file_conforms(path, verdict, declared, sealed=case[1])


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_the_print_files_draw_and_check_clean(batches, case):  # noqa: F811
    _, prints = batches(case)
    problems = {p.name: (qpdf_problems(p), ghostscript_problems(p)) for p in prints}
    assert not {k: v for k, v in problems.items() if any(v)}, problems
