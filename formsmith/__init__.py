"""formsmith: records, templates, signed-ready PDFs and the archive of a property service centre."""
from __future__ import annotations

__version__ = "0.2.0"

from .catalog import Catalog, Template, validate  # noqa: E402
from .documents import list_documents, mark  # noqa: E402
from .errors import FormsmithError, InputError, ValidationError  # noqa: E402
from .issuing import IssuedDocument, issue_document  # noqa: E402
from .signing import check_signatures, seal_document  # noqa: E402
from .verify import verify_file  # noqa: E402
from .workspace import Workspace, find_workspace, init_workspace, load_workspace  # noqa: E402

__all__ = ["Catalog", "Template", "validate", "list_documents", "mark", "FormsmithError",
           "InputError", "ValidationError", "IssuedDocument", "issue_document", "verify_file",
           "seal_document", "check_signatures",
           "Workspace", "find_workspace", "init_workspace", "load_workspace", "__version__"]
