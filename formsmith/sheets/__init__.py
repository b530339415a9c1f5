"""Records from Excel: read .xlsx/.csv sheets, check every row, import all or nothing, export, templates."""
from __future__ import annotations

from .export import export_kind, export_rows, template_notes, write_template
from .importer import ImportRejected, ImportReport, Problem, import_file
from .io import read_sheet
from .kinds import KINDS, all_kinds

__all__ = ["KINDS", "all_kinds", "ImportRejected", "ImportReport", "Problem", "export_kind", "export_rows",
           "import_file", "read_sheet", "template_notes", "write_template"]
