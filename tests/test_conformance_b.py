"""The single-template conformance tests (tests/conformance.py single_tests), part 1 of the
templates: rendered, sealed and judged in their own xdist worker beside test_conformance.py."""
from __future__ import annotations

import pytest

from conformance import sealing_env, single_tests, singles, templates_of_part  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow

PART = 1   # every conformance.PARTS-th template from this one (the other parts: test_conformance.py and the other _b/_c)
TEMPLATES_HERE = templates_of_part(PART)

(test_every_template_with_every_engine_issues_a_conforming_file,
 test_every_seal_the_page_asks_for_has_its_field_and_the_seal_covers_the_request) = single_tests(PART)
