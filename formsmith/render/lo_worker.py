"""LibreOffice worker: run by a Python that has `uno`; turns .docx files into PDF on request.

It is started by formsmith.render.libreoffice (never imported by formsmith itself: formsmith's
own Python usually cannot import `uno`, which the distribution ships for the system Python).
It starts ONE headless soffice with a private profile, connects to it over a named pipe and
then serves requests, one JSON object per line on stdin, one JSON reply per line on stdout:

    {"src": "/abs/in.docx", "dst": "/abs/out.pdf", "filter": {"SelectPdfVersion": 3, ...}}
    → {"ok": true, "pages": 12}  or  {"ok": false, "error": "..."}

Before exporting it updates every index (so a Word table of contents gets the page numbers of
LibreOffice's own layout) and every field. End of stdin (or {"quit": true}) closes soffice.

It does not outlive formsmith: soffice runs in a process group of its own, and a watchdog
thread notices when formsmith is gone (kill -9, SIGTERM, a crash: this process is then
re-parented) or when this worker is told to stop (SIGTERM); it then kills soffice's group,
removes the private folder (profile, temporary files) and formsmith's Word scratch folders,
and exits. A thread, not a signal handler: while soffice converts, the main thread waits
inside a UNO call where Python runs no signal handler.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
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


SOFFICE: list[subprocess.Popen] = []          # the soffice process, once started
STOP = threading.Event()
CLEANING = threading.Lock()   # held by the watchdog while it cleans up: the main thread waits


def cleanup(private, scratch):
    """Kill soffice and everything it started, remove what this worker's run left in /tmp."""
    for proc in SOFFICE:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + 10   # soffice.bin is oosplash's child: wait for the group
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except (ProcessLookupError, PermissionError):
                break
            time.sleep(0.05)
    if private:
        shutil.rmtree(private, ignore_errors=True)
    if scratch:
        folder, prefix = os.path.split(scratch)
        for name in os.listdir(folder) if os.path.isdir(folder) else ():
            if name.startswith(prefix):
                shutil.rmtree(os.path.join(folder, name), ignore_errors=True)


def watchdog(parent, private, scratch):
    """Clean up and exit as soon as formsmith (`parent`) is gone or SIGTERM came."""
    while not STOP.wait(0.2):
        if os.getppid() != parent:
            break
    with CLEANING:
        cleanup(private, scratch)
        os._exit(0)


def connect(soffice, profile_url, pipe):
    proc = subprocess.Popen(
        [soffice, "-env:UserInstallation=" + profile_url, "--headless", "--invisible",
         "--nologo", "--norestore", "--nodefault", "--nolockcheck", "--nofirststartwizard",
         "--accept=pipe,name=%s;urp;StarOffice.ComponentContext" % pipe],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    SOFFICE.append(proc)
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
                os.killpg(proc.pid, signal.SIGKILL)
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
        # No extra space between Chinese and Latin letters or digits (the house style writes
        # 2025年12月1日): LibreOffice adds it by default and its Word import does not read the
        # document's w:autoSpaceDE/w:autoSpaceDN, so it is turned off in every paragraph style.
        styles = doc.getStyleFamilies().getByName("ParagraphStyles")
        for i in range(styles.getCount()):
            style = styles.getByIndex(i)
            if style.getPropertySetInfo().hasPropertyByName("ParaIsCharacterDistance"):
                style.setPropertyValue("ParaIsCharacterDistance", False)
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
    parent = int(sys.argv[4]) if len(sys.argv) > 4 else os.getppid()
    private = sys.argv[5] if len(sys.argv) > 5 else ""
    scratch = sys.argv[6] if len(sys.argv) > 6 else ""
    signal.signal(signal.SIGTERM, lambda *_: STOP.set())
    threading.Thread(target=watchdog, args=(parent, private, scratch), daemon=True).start()
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
        # End of stdin: formsmith closed it (it then kills this worker and removes the profile
        # itself) or died: its pipe closes before this process is re-parented, so the watchdog
        # may not have noticed yet. Wait a moment for that; soffice holds nothing worth a
        # graceful shutdown (every conversion is complete, the profile is thrown away).
        deadline = time.monotonic() + 2
        while os.getppid() == parent and time.monotonic() < deadline:
            time.sleep(0.02)
        gone = os.getppid() != parent
        cleanup(private if gone else "", scratch if gone else "")
    return 0


if __name__ == "__main__":
    try:
        code = main()
    except BrokenPipeError:   # formsmith is gone: the watchdog is cleaning up
        code = 1
    finally:
        with CLEANING:        # a cleanup under way finishes (and exits) before this process may
            pass
    sys.exit(code)
