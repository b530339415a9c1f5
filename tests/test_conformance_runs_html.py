"""The month-end run with the html engine (the default is typst: test_dunning_run.py judges its
letters, test_signing.py seals them) through its three stages, unsealed and sealed:
every letter must pass what a single document passes, and the print files qpdf and Ghostscript
(tests/conformance.py has the runs, the verdict and the tests)."""
from __future__ import annotations

import pytest

from conformance import batches, month_end_tests, sealing_env  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow

test_every_letter_of_the_month_end_run_conforms, test_the_print_files_draw_and_check_clean = \
    month_end_tests("html")
