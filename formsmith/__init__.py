"""formsmith: records, templates, signed-ready PDFs and the archive of a property service centre.

The whole public API is here; the command line (`formsmith …`) and the counter app call these.

    ws = formsmith.init_workspace(path)[0]  or  formsmith.load_workspace(path)
    formsmith.issue(ws, "dunning-letter", unit="1-2-301")      one document, numbered and recorded
    formsmith.run_dunning(ws, as_of)                            the month-end run, all stages
    formsmith.add_contact(ws, unit, "电话", result="无人接听")     the contact log (催缴记录)
    formsmith.import_sheet(ws, "charges", path)                 records from Excel / CSV
    formsmith.ingest_scans(ws, [scans])                         signed copies back into the archive
    formsmith.seal(ws, doc_no)  /  formsmith.verify(ws, path)
    formsmith.backup(ws, dest)  /  formsmith.restore(src, target)  /  formsmith.fsck(ws)
    formsmith.pay(ws, unit, amount, method=…)                 a payment, its charges cleared, its receipt
"""
from __future__ import annotations

from .version import __version__  # noqa: E402

from .backup import backup, restore  # noqa: E402
from .catalog import Catalog, Template, validate  # noqa: E402
from .documents import list_documents, mark  # noqa: E402
from .errors import FormsmithError, InputError, ValidationError  # noqa: E402
from .fsck import fsck  # noqa: E402
from .issuing import IssuedDocument, issue_document  # noqa: E402
from .processes.arrears.run import run as run_dunning  # noqa: E402
from .processes.contacts.log import add_contact, list_contacts  # noqa: E402
from .sheets.importer import import_file as import_sheet  # noqa: E402
from .signing import check_signatures, seal_document  # noqa: E402
from .verify import verify_file  # noqa: E402
from .workspace import Workspace, find_workspace, init_workspace, load_workspace  # noqa: E402


def pay(*args, **kwargs):
    """formsmith.processes.ledger.payments.pay: record a payment, clear the charges it covers
    and issue its receipt, in one transaction."""
    from .processes.ledger.payments import pay as record_payment
    return record_payment(*args, **kwargs)


def ingest_scans(*args, **kwargs):
    """formsmith.ingest.ingest: file scans back into the archive (loaded on first use: the
    page rasterizer and the code reader are heavy, and most commands never read a scan; not
    named `ingest`, which is the pipeline's package)."""
    from .ingest import ingest as run_ingest
    return run_ingest(*args, **kwargs)


issue = issue_document
seal = seal_document
verify = verify_file

__all__ = ["Catalog", "Template", "validate", "list_documents", "mark", "FormsmithError",
           "InputError", "ValidationError", "IssuedDocument", "issue", "issue_document",
           "run_dunning", "add_contact", "list_contacts", "import_sheet", "ingest_scans", "pay", "seal",
           "seal_document", "check_signatures",
           "verify", "verify_file", "backup", "restore", "fsck",
           "Workspace", "find_workspace", "init_workspace", "load_workspace", "__version__"]
