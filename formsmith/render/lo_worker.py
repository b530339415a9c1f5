"""LibreOffice worker: run by a Python that has `uno`; turns .docx files into PDF on request.

It is started by formsmith.render.libreoffice (never imported by formsmith itself: formsmith's
own Python usually cannot import `uno`, which the distribution ships for the system Python).
It starts ONE headless soffice with a private profile, connects to it over a named pipe and
then serves requests, one JSON object per line on stdin, one JSON reply per line on stdout:

    {"src": "/abs/in.docx", "dst": "/abs/out.pdf", "filter": {"SelectPdfVersion": 3, ...}}
    → {"ok": true, "pages": 12}  or  {"ok": false, "error": "..."}

Before exporting it updates every index (so a Word table of contents gets the page numbers of
LibreOffice's own layout) and every field. End of stdin (or {"quit": true}) closes soffice.
"""
import json
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

START_TIMEOUT = 90.0


def prop(name, value):
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def reply(obj):
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def connect(soffice, profile_url, pipe):
    proc = subprocess.Popen(
        [soffice, "-env:UserInstallation=" + profile_url, "--headless", "--invisible",
         "--nologo", "--norestore", "--nodefault", "--nolockcheck", "--nofirststartwizard",
         "--accept=pipe,name=%s;urp;StarOffice.ComponentContext" % pipe],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
            break
        except NoConnectException:
            if proc.poll() is not None:
                raise RuntimeError("soffice exited with status %s while starting" % proc.returncode)
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("soffice did not start within %d s" % START_TIMEOUT)
            time.sleep(0.05)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    return proc, desktop


def convert(desktop, src, dst, filter_options):
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0,
                                       (prop("Hidden", True), prop("UpdateDocMode", 0)))
    if doc is None:
        raise RuntimeError("LibreOffice could not open %s" % src)
    try:
        # A table of contents changes the page count when it grows; update until stable.
        indexes = doc.getDocumentIndexes()
        for _ in range(2):
            for i in range(indexes.getCount()):
                indexes.getByIndex(i).update()
        doc.getTextFields().refresh()
        filter_data = uno.Any("[]com.sun.star.beans.PropertyValue",
                              tuple(prop(k, v) for k, v in filter_options.items()))
        args = (prop("FilterName", "writer_pdf_Export"),
                PropertyValue("FilterData", 0, filter_data, 0))
        uno.invoke(doc, "storeToURL", (uno.systemPathToFileUrl(dst), args))
        pages = doc.getCurrentController().getPropertyValue("PageCount")
    finally:
        doc.close(True)
    return pages


def main():
    soffice, profile_url, pipe = sys.argv[1:4]
    try:
        proc, desktop = connect(soffice, profile_url, pipe)
    except Exception as exc:
        reply({"ok": False, "error": str(exc)})
        return 1
    reply({"ok": True, "ready": True, "soffice_pid": proc.pid})
    try:
        for line in sys.stdin:
            req = json.loads(line)
            if req.get("quit"):
                break
            try:
                pages = convert(desktop, req["src"], req["dst"], req.get("filter", {}))
                reply({"ok": True, "pages": pages})
            except Exception as exc:
                reply({"ok": False, "error": "%s: %s" % (type(exc).__name__, exc)})
    finally:
        try:
            desktop.terminate()
        except Exception:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
