"""Every template with every engine it has, rendered from its example data and issued, then
sealed: each file must pass veraPDF -f 3b, qpdf, Ghostscript, carry its declared signature
fields and /Lang zh-CN (tests/conformance.py has the cases and the verdict)."""
from __future__ import annotations

import pytest

from conformance import sealing_env, single_tests, singles, templates_of_part  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow

PART = 0   # every conformance.PARTS-th template from this one (the other parts: test_conformance_b.py and _c.py)
TEMPLATES_HERE = templates_of_part(PART)

(test_every_template_with_every_engine_issues_a_conforming_file,
 test_every_seal_the_page_asks_for_has_its_field_and_the_seal_covers_the_request) = single_tests(PART)
