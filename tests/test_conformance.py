"""Every template with every engine it has, rendered from its example data and issued, then
sealed: each file must pass veraPDF -f 3b, qpdf, Ghostscript, carry its declared signature
fields and /Lang zh-CN (tests/conformance.py has the cases and the verdict)."""
from __future__ import annotations

import pytest

from conformance import SINGLE_CASES, _case_id, assert_issued_file_conforms, sealing_env, singles  # noqa: F401

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("case", SINGLE_CASES, ids=_case_id)
def test_every_template_with_every_engine_issues_a_conforming_file(singles, case):  # noqa: F811
    for path, verdict, declared in singles[case]:
        assert_issued_file_conforms(path, verdict, declared, sealed=case[2])
