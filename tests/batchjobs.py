"""Render jobs for batch tests: a template's example data, one owner name and number per letter."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from formsmith import catalog, codes
from formsmith.render import PdfIdentity, RenderJob


def batch_jobs(ws, tid: str, n: int, out_dir: Path, engine: str | None = None,
               first_no: int = 900) -> tuple:
    """(template, jobs): `n` letters of `tid` (rendered by `engine`, default the template's),
    letter i for owner "业主{i}号", numbered 物通字〔2025〕{first_no + i}号, record {"i": i}."""
    tpl = ws.catalog.get(tid)
    if engine:
        tpl = replace(tpl, engine=engine)
    values = catalog.validate(tpl, tpl.example)
    jobs = []
    for i in range(n):
        doc_id = codes.new_doc_id()
        identity = PdfIdentity(
            doc_no=f"物通字〔2025〕{first_no + i}号", doc_id=doc_id, title=f"{tpl.title} {i}", author="阳光物业",
            subject="s", keywords=(f"formsmith:{doc_id}",), record_json=b'{"i": %d}' % i,
            created=datetime(2025, 12, 1, 9, 0).astimezone())
        context = {"data": {**values, "owner_name": f"业主{i}号"}, "company": ws.company.as_dict(),
                   "fonts": ws.fonts, "doc": {"no": identity.doc_no, "id": doc_id,
                                              "issued_on": values["as_of"], "template": tpl.id,
                                              "title": tpl.title, "version": tpl.version}}
        jobs.append(RenderJob(context=context, identity=identity,
                              out=out_dir / f"{engine or tpl.engine}-{tid}-{i}.pdf"))
    return tpl, jobs
