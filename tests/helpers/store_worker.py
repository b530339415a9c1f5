"""A separate OS process that hammers a formsmith store; driven by tests/test_store.py.

Usage: python store_worker.py MODE ARGS...

  counter RECORDS_DIR N TAG GO_FILE [HOLD_S]
      N transactions, each incrementing the row `counter` of table repairs and appending
      "TAG-i" to its `seen` list. Prints "ready", then waits until GO_FILE exists so that all
      workers start together;
      HOLD_S sleeps inside each transaction (between read and write) to widen the race window.
  unlocked RECORDS_DIR N TAG GO_FILE [HOLD_S]
      The same read-modify-write without the store's lock: a control showing that the counter
      test does detect lost updates.
  events HOME DOC_NO N TAG GO_FILE
      N library transactions, each appending one event (by TAG, note TAG-i) to document DOC_NO.
  churn RECORDS_DIR ROW_BYTES
      Forever: one transaction inserting a row of ROW_BYTES characters and setting the meta
      counter to the number of rows. Prints "ready" once before the loop; meant to be killed.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def wait_for(go_file: str) -> None:
    print("ready", flush=True)  # imports done: the test starts every worker at once
    deadline = time.monotonic() + 30
    while not os.path.exists(go_file):
        if time.monotonic() > deadline:
            sys.exit("go file never appeared")
        time.sleep(0.001)


def counter(records: str, n: int, tag: str, go_file: str, hold: float) -> None:
    from formsmith.store import Store
    store = Store(Path(records))
    wait_for(go_file)
    for i in range(n):
        with store.transaction() as tx:
            row = tx.get("repairs", "counter")
            if hold:
                time.sleep(hold)
            tx.update("repairs", "counter", {"n": row["n"] + 1, "seen": row["seen"] + [f"{tag}-{i}"]})


def unlocked(records: str, n: int, tag: str, go_file: str, hold: float) -> None:
    from formsmith.store import Store, Transaction
    store = Store(Path(records))
    wait_for(go_file)
    for i in range(n):
        try:  # racing unlocked writers may trip over each other's files: just go on
            tx = store._open(Transaction, store._read_root())  # transaction() minus the lock
            row = tx.get("repairs", "counter")
            if hold:
                time.sleep(hold)
            tx.update("repairs", "counter", {"n": row["n"] + 1, "seen": row["seen"] + [f"{tag}-{i}"]})
            store._commit(tx)
        except Exception:
            pass


def events(home: str, doc_no: str, n: int, tag: str, go_file: str) -> None:
    from formsmith import documents, lifecycle
    from formsmith.workspace import find_workspace
    ws = find_workspace(home)
    wait_for(go_file)
    for i in range(n):
        with ws.store.transaction() as tx:
            doc = documents.find(tx, doc_no)
            ev = lifecycle.event(doc["state"], tag, note=f"{tag}-{i}")
            tx.update("documents", doc["id"], {"events": doc["events"] + [ev]})


def churn(records: str, row_bytes: int) -> None:
    from formsmith.store import Store
    store = Store(Path(records))
    with store.snapshot() as view:
        n = view.meta("counter", 0)
    print("ready", flush=True)
    while True:
        with store.transaction() as tx:
            tx.insert("repairs", {"id": f"r{n}", "seq": n, "blob": f"{n:08d}" + "x" * row_bytes})
            tx.set_meta("counter", n + 1)
        n += 1


def main(argv: list[str]) -> None:
    mode, rest = argv[0], argv[1:]
    if mode in ("counter", "unlocked"):
        hold = float(rest[4]) if len(rest) > 4 else 0.0
        (counter if mode == "counter" else unlocked)(rest[0], int(rest[1]), rest[2], rest[3], hold)
    elif mode == "events":
        events(rest[0], rest[1], int(rest[2]), rest[3], rest[4])
    elif mode == "churn":
        churn(rest[0], int(rest[1]))
    else:
        sys.exit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
