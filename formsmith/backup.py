"""Backup and restore of a workspace: a consistent copy with a SHA-256 manifest, checked before use.

A backup is a folder:

    MANIFEST.json     what was copied: every file with its size and SHA-256, the store's
                      generation, when and by which formsmith
    formsmith.toml    the settings
    records/          the store as committed at one instant (root + its partitions)
    output/ archive/  issued documents and filed scans
    templates/ assets/  the workspace's own templates and images, if any

It is taken under the store's writers' lock, so no document can be issued, marked or filed
while the copy is made: the store and the files it refers to belong to the same instant.
`restore` checks every file against the manifest and the store against its own structure
before it writes anything, then builds the workspace in a temporary folder next to the target
and renames it into place.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .version import __version__
from .errors import InputError, StoreError, VerificationFailed
from .files import TEMP_SUFFIXES, copy_hashed, sha256_file, staged_dir
from .store import STORE_FILE, Store
from .workspace import CONFIG_NAME, Workspace

MANIFEST = "MANIFEST.json"
FOLDERS = ("output", "archive", "templates", "assets")
SKIP_SUFFIXES = TEMP_SUFFIXES   # files being written: not copied


@dataclass
class BackupReport:
    dest: str
    files: int
    bytes: int
    generation: int
    documents: int
    drift: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def backup(ws: Workspace, dest: Path) -> BackupReport:
    """Copy the workspace to `dest` (a new or empty folder) as one consistent snapshot."""
    dest = Path(dest).resolve()
    if dest.is_relative_to(ws.root):
        raise InputError(f"{dest}: a backup inside the workspace it backs up would copy itself; "
                         f"choose a folder outside {ws.root}")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InputError(f"{dest}: exists and is not an empty folder; formsmith does not overwrite")
    entries: dict[str, dict[str, Any]] = {}
    drift: list[str] = []
    # built in .<dest>.partial beside it, renamed into place once complete, removed on failure
    with staged_dir(dest, ".partial") as partial:
        with ws.store.frozen() as (view, store_files):
            generation = view._root["generation"]
            for src in store_files:
                rel = Path("records") / src.relative_to(ws.records_dir)
                digest, size = copy_hashed(src, partial / rel)
                entries[rel.as_posix()] = {"sha256": digest, "size": size}
            # What was copied is what restore will check: a damaged store is refused now,
            # not found out on the day the backup is needed.
            damage = Store(partial / "records").check()
            if damage:
                where = str(partial / "records")
                raise StoreError(f"backup refused, nothing written to {dest}: the store is damaged: "
                                 f"{damage[0].replace(where, str(ws.records_dir))}"
                                 + (f" (and {len(damage) - 1} more problem(s))" if len(damage) > 1 else "")
                                 + "; run `formsmith fsck`")
            if ws.config_path.exists():
                digest, size = copy_hashed(ws.config_path, partial / CONFIG_NAME)
                entries[CONFIG_NAME] = {"sha256": digest, "size": size}
            for folder in FOLDERS:
                base = ws.root / folder
                if not base.is_dir():
                    continue
                for src in sorted(p for p in base.rglob("*") if p.is_file()):
                    if src.name.endswith(SKIP_SUFFIXES) or src.is_symlink():
                        continue
                    rel = src.relative_to(ws.root)
                    digest, size = copy_hashed(src, partial / rel)
                    entries[rel.as_posix()] = {"sha256": digest, "size": size}
            documents = view.count("documents")
            for doc in view.all("documents"):
                for path, sha in recorded_files(doc):
                    got = entries.get(path)
                    if got is None:
                        drift.append(f"{doc['doc_no']}: {path} is missing from the workspace")
                    elif got["sha256"] != sha:
                        drift.append(f"{doc['doc_no']}: {path} differs from its recorded SHA-256")
        manifest = {"formsmith_backup": 1, "formsmith": __version__, "workspace": str(ws.root),
                    "taken_at": datetime.now().astimezone().isoformat(timespec="seconds"),
                    "store_generation": generation, "documents": documents,
                    "drift": drift, "files": entries}
        (partial / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                        encoding="utf-8")
    return BackupReport(dest=str(dest), files=len(entries),
                        bytes=sum(e["size"] for e in entries.values()),
                        generation=generation, documents=documents, drift=drift)


def recorded_files(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, sha256) of every file a document row records: the issued PDF, its versions
    (sealed copies), filed scans — wherever a dict in the row carries both keys."""
    found: list[tuple[str, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("path"), str) and isinstance(node.get("sha256"), str):
                found.append((node["path"], node["sha256"]))
            for key, value in node.items():
                if key != "record":          # the document's data is not a file list
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    return found


def check_backup(src: Path) -> dict[str, Any]:
    """The backup's manifest, after checking every file and the store in it; raises
    VerificationFailed naming each problem otherwise."""
    src = Path(src).resolve()
    mpath = src / MANIFEST
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{src}: not a formsmith backup (no {MANIFEST})") from None
    except (OSError, ValueError) as exc:
        raise VerificationFailed(f"{mpath}: unreadable: {exc}") from None
    except RecursionError:
        raise VerificationFailed(f"{mpath}: unreadable: JSON nested too deeply") from None
    if not isinstance(manifest, dict) or manifest.get("formsmith_backup") != 1 \
            or not isinstance(manifest.get("files"), dict):
        raise VerificationFailed(f"{mpath}: not a formsmith backup manifest")
    problems: list[str] = []
    for rel, entry in manifest["files"].items():
        path = (src / rel).resolve()
        if not path.is_relative_to(src) or ".." in Path(rel).parts:
            problems.append(f"{rel}: path leaves the backup folder")
            continue
        if not path.is_file():
            problems.append(f"{rel}: missing")
        elif sha256_file(path) != entry.get("sha256"):
            problems.append(f"{rel}: SHA-256 differs from the manifest")
    listed = set(manifest["files"])
    for path in src.rglob("*"):
        if path.is_file() and path.name != MANIFEST:
            rel = path.relative_to(src).as_posix()
            if rel not in listed:
                problems.append(f"{rel}: not in the manifest")
    if not problems:
        problems += [f"records: {p}" for p in Store(src / "records").check()]
    if problems:
        raise VerificationFailed(problems[0] if len(problems) == 1 else
                                 f"backup {src} failed its check ({len(problems)} problems): "
                                 + "; ".join(problems[:10]))
    return manifest


def restore(src: Path, target: Path) -> dict[str, Any]:
    """Check the backup in `src`, then make `target` (new or empty) the workspace it holds."""
    src, target = Path(src).resolve(), Path(target).resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(f"{target}: exists and is not empty; restore into a new folder "
                         f"(formsmith never overwrites a workspace)")
    manifest = check_backup(src)
    # built in .<target>.restoring beside it, renamed into place once complete, removed on failure
    with staged_dir(target, ".restoring") as staging:
        for rel in manifest["files"]:
            digest, _ = copy_hashed(src / rel, staging / rel)
            if digest != manifest["files"][rel]["sha256"]:
                raise VerificationFailed(f"{rel}: changed while it was being restored")
        for private in ("records", "archive"):
            (staging / private).mkdir(exist_ok=True)
            for folder in [staging / private, *(p for p in (staging / private).rglob("*") if p.is_dir())]:
                os.chmod(folder, 0o700)
        (staging / "output").mkdir(exist_ok=True)
        if not (staging / "records" / STORE_FILE).exists():
            raise VerificationFailed(f"{src}: the backup holds no store")
    return {"restored": str(target), "files": len(manifest["files"]),
            "store_generation": manifest.get("store_generation"),
            "taken_at": manifest.get("taken_at")}
