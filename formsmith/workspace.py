"""Find, create and open a workspace: formsmith.toml, records/, output/, archive/, templates/."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .errors import WorkspaceError
from .store import Store

CONFIG_NAME = "formsmith.toml"
ENV_HOME = "FORMSMITH_HOME"
BUILTIN_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

DEFAULT_CONFIG = """\
# formsmith workspace settings. Values are Chinese text as printed on documents.

[company]
name = "{company}"                      # issuer printed above the seal area
service_centre = "{centre}"             # 客户服务中心
community = "{community}"               # default community (小区)
address = "{address}"
phone = "{phone}"
seal_text = "{company}"                 # text of the company seal (公章)
contract = "《前期物业服务合同》"        # contract that founds the fee claims

[clerk]
name = "{clerk}"                        # default actor recorded on document events

[fonts]
serif = "Noto Serif CJK SC"             # body text (宋体-like)
sans = "Noto Sans CJK SC"               # headings (黑体-like)

[dunning]
deadline_days = 15                      # 缴费通知单 / 催缴函: days to pay
# Escalation (PROCESSES.md §4), used by `formsmith dunning run`:
notice_after_months = 1                 # stage 1 缴费通知单 (+ SMS) once a unit owes this many months
letter_after_notice_months = 3          # stage 2 催缴函 by express mail, still unpaid this long after the notice
legal_after_delivery_months = 6         # stage 3 法律催告函, this long after the 催缴函 was delivered
legal_deadline_days = 7                 # 法律催告函: last deadline
batch_chunk = 100                       # letters laid out together in one engine document
commit_every = 2000                     # letters recorded per store transaction during a run (and once a minute)

[render]
time_limit_s = 120                      # one document's rendering stops after this many seconds

[numbering]
# Override a template's series per workspace, e.g.:
# dunning-letter = "阳物催字〔{{year}}〕{{seq}}号"
"""

DEMO_SETTINGS = dict(
    company="阳光物业服务有限公司",
    centre="阳光花园客户服务中心",
    community="阳光花园",
    address="江城市南湖区阳光路88号阳光花园客户服务中心",
    phone="027-8765 4321",
    clerk="王敏",
)


@dataclass(frozen=True)
class Company:
    """The issuing company as printed on documents."""

    name: str
    service_centre: str
    community: str
    address: str
    phone: str
    seal_text: str
    contract: str

    def as_dict(self) -> dict[str, str]:
        return dict(name=self.name, service_centre=self.service_centre, community=self.community,
                    address=self.address, phone=self.phone, seal_text=self.seal_text,
                    contract=self.contract)


@dataclass
class Workspace:
    """An opened workspace folder and its parsed settings."""

    root: Path
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def records_dir(self) -> Path:
        return self.root / "records"

    @property
    def output_dir(self) -> Path:
        return self.root / "output"

    @property
    def archive_dir(self) -> Path:
        return self.root / "archive"

    @property
    def templates_dir(self) -> Path:
        """Workspace templates: they add to, or override by id, the built-in ones."""
        return self.root / "templates"

    @property
    def assets_dir(self) -> Path:
        """Workspace assets a template may reference (logo, seal image)."""
        return self.root / "assets"

    @cached_property
    def store(self) -> Store:
        return Store(self.records_dir)

    @cached_property
    def catalog(self):
        from .catalog import Catalog
        dirs = [self.templates_dir] if self.templates_dir.is_dir() else []
        if BUILTIN_TEMPLATES.resolve() != self.templates_dir.resolve():
            dirs.append(BUILTIN_TEMPLATES)
        return Catalog(dirs)

    @property
    def company(self) -> Company:
        c = self.config.get("company", {})
        name = str(c.get("name", ""))
        return Company(name=name, service_centre=str(c.get("service_centre", "")),
                       community=str(c.get("community", "")), address=str(c.get("address", "")),
                       phone=str(c.get("phone", "")), seal_text=str(c.get("seal_text", name)),
                       contract=str(c.get("contract", "《前期物业服务合同》")))

    @property
    def clerk(self) -> str:
        return str(self.config.get("clerk", {}).get("name", "")) or os.environ.get("USER", "clerk")

    @property
    def fonts(self) -> dict[str, str]:
        f = self.config.get("fonts", {})
        return {"serif": str(f.get("serif", "Noto Serif CJK SC")),
                "sans": str(f.get("sans", "Noto Sans CJK SC"))}

    def setting(self, section: str, key: str, default: Any = None) -> Any:
        """One value of formsmith.toml, e.g. setting("dunning", "deadline_days", 15)."""
        return self.config.get(section, {}).get(key, default)

    def series_for(self, template_id: str, default: str) -> str:
        """The numbering series of a template, as overridden by [numbering] in formsmith.toml."""
        return str(self.config.get("numbering", {}).get(template_id, default))


def load_workspace(root: Path) -> Workspace:
    """Open the workspace at `root` (which must hold formsmith.toml)."""
    root = Path(root).resolve()
    path = root / CONFIG_NAME
    if not path.is_file():
        raise WorkspaceError(f"{root} is not a formsmith workspace (no {CONFIG_NAME}; "
                             f"create one with `formsmith init {root}`)")
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise WorkspaceError(f"{path}: malformed settings: {exc}") from None
    return Workspace(root=root, config=config)


def find_workspace(home: str | os.PathLike | None = None, start: Path | None = None) -> Workspace:
    """The workspace chosen by --home, else $FORMSMITH_HOME, else the nearest folder upward."""
    if home:
        return load_workspace(Path(home))
    if os.environ.get(ENV_HOME):
        return load_workspace(Path(os.environ[ENV_HOME]))
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return load_workspace(folder)
    raise WorkspaceError(f"no {CONFIG_NAME} in {here} or any folder above it; use --home DIR, "
                         f"set {ENV_HOME}, or create one with `formsmith init DIR`")


def init_workspace(root: Path, settings: dict[str, str] | None = None) -> tuple[Workspace, bool]:
    """Create the workspace folders and settings at `root`; keep whatever exists already.

    Returns the workspace and whether formsmith.toml was newly written.
    """
    root = Path(root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    path = root / CONFIG_NAME
    created = not path.exists()
    if created:
        values = {**DEMO_SETTINGS, **(settings or {})}
        path.write_text(DEFAULT_CONFIG.format(**values), encoding="utf-8")
    for sub in ("output",):
        (root / sub).mkdir(exist_ok=True)
    for private in ("records", "archive"):
        (root / private).mkdir(exist_ok=True)
        os.chmod(root / private, 0o700)
    ws = load_workspace(root)
    ws.store.create()
    return ws, created
