"""Find, create and open a workspace: formsmith.toml, records/, output/, archive/, templates/."""
from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import SettingsError, StoreError, WorkspaceError
from .files import write_atomic
from .store import Store

CONFIG_NAME = "formsmith.toml"
ENV_HOME = "FORMSMITH_HOME"


def _builtin_templates() -> Path:
    """The built-in templates folder, the one place it is found.

    An installed wheel holds them inside the package, formsmith/_templates/ (the package data
    of `formsmith._templates`, see pyproject.toml). A checkout keeps them at the top level,
    templates/ beside formsmith/: run from the checkout, or installed editable.
    """
    installed = resources.files(__package__) / "_templates"
    if installed.is_dir():
        return Path(str(installed)).resolve()
    return Path(__file__).resolve().parent.parent / "templates"


BUILTIN_TEMPLATES = _builtin_templates()

DEFAULT_CONFIG = """\
# formsmith workspace settings. Values are Chinese text as printed on documents.

[company]
name = "{company}"                      # issuer printed above the seal area
service_centre = "{centre}"             # 客户服务中心
community = "{community}"               # default community (小区)
address = "{address}"
community_address = "{community_address}"  # the community's postal address (省/市/区/路): letters are mailed to it + 1栋2单元301室
phone = "{phone}"
seal_text = "{company}"                 # text of the company seal (公章)
contract = "《前期物业服务合同》"        # contract that founds the fee claims

[movein]
developer = "{developer}"               # 建设单位: 甲方 of the 《前期物业服务合同》, author of the 《临时管理规约》
# rules_made_on = "2025-06-18"          # 《临时管理规约》的制定日期 (printed under the developer's seal; else left blank)

# [rental]                              # 房屋租赁 (rental-agency-agreement, tenant-registration)
# min_area_per_person = "5"             # 当地人民政府规定的人均租住建筑面积最低标准（平方米，《商品房屋租赁管理办法》第八条）
# min_area_rule = "《××市房屋租赁管理办法》第×条"   # where the local standard is set, printed with it

[clerk]
name = "{clerk}"                        # default actor recorded on document events

[fonts]
serif = "Noto Serif CJK SC"             # body text (宋体-like)
sans = "Noto Sans CJK SC"               # headings (黑体-like)

[dunning]
deadline_days = 15                      # 缴费通知单 / 催缴函: days to pay, counted from receipt (自收到之日起)
# Escalation (PROCESSES.md §4), used by `formsmith dunning run`:
notice_after_months = 1                 # stage 1 缴费通知单 (+ SMS) once a unit owes this many months
letter_after_notice_months = 3          # stage 2 催缴函 by express mail, still unpaid this long after the notice
legal_after_delivery_months = 6         # stage 3 法律催告函, this long after the 催缴函 was delivered
legal_deadline_days = 7                 # 法律催告函: days to pay, counted from receipt
batch_chunk = 100                       # letters laid out together in one engine document
engine = "typst"                        # month-end letters: typst (5× faster, the same text and pages) or html
commit_every = 2000                     # letters recorded per store transaction during a run (and once a minute)
# sms_signature = "阳光物业"             # the 【signature】 of the stage-1 SMS (default: the company's name); one SMS ≤ 70 characters

{payment}
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
    community_address="江城市南湖区阳光路88号",
    phone="027-8765 4321",
    clerk="王敏",
    developer="江城阳光置业有限公司",
)

# How owners pay from elsewhere, printed on the arrears letters when configured. A new
# workspace gets it commented out: a letter must never print an account the company does not own.
PAYMENT_UNSET = """\
# [payment]                             # printed on the arrears letters once account_no is set
# account_name = "…"                    # 户名
# bank = "…"                            # 开户银行
# account_no = "…"                      # 账号
# transfer_note = "请注明房号"           # printed with the unit, e.g. 请注明房号（1-2-301）
# payment_qr = "pay-qr.png"             # optional: a QR image (PNG/JPEG) in the workspace's assets/ folder
"""
DEMO_PAYMENT = """\
[payment]                               # printed on the arrears letters (缴费方式)
account_name = "阳光物业服务有限公司"     # 户名
bank = "中国工商银行江城南湖支行"          # 开户银行 (demo values: not a real account)
account_no = "4202 0012 0900 0123 456"  # 账号
transfer_note = "请注明房号"             # printed with the unit: 请注明房号（1-2-301）
payment_qr = "pay-qr.png"               # a QR image in the workspace's assets/ folder (optional)
"""


# What formsmith.toml may hold: section → key → kind. A key of a known section is checked
# before any command uses it; unknown sections and keys are left alone (newer settings).
TEXT, TEXTS, NUMBER_TEXT = "text", "texts", "number-text"
MONTH_END_ENGINES = frozenset({"typst", "html"})   # a frozenset kind: one of these words
SETTINGS: dict[str, dict[str, Any]] = {
    "company": {k: TEXT for k in ("name", "service_centre", "community", "address", "community_address",
                                  "phone", "seal_text", "contract")},
    "clerk": {"name": TEXT},
    "fonts": {"serif": TEXT, "sans": TEXT},
    # integers: (lowest, highest) allowed
    # days to pay count from receipt: at least one
    "dunning": {"deadline_days": (1, 3650), "notice_after_months": (0, 1200),
                "letter_after_notice_months": (0, 1200), "legal_after_delivery_months": (0, 1200),
                "legal_deadline_days": (1, 3650), "batch_chunk": (1, 100_000),
                "commit_every": (1, 10_000_000), "sms_signature": TEXT,
                "engine": MONTH_END_ENGINES},
    "seal": {"pkcs12": TEXT, "password_env": TEXT, "image": TEXT, "tsa_url": TEXT,
             "trust_roots": TEXTS},
    "survey": {"items": TEXTS, "return_days": (0, 3650)},
    "renovation": {"debris_rate": NUMBER_TEXT, "work_hours": TEXT},
    "movein": {k: TEXT for k in ("repair_by", "developer", "move_in_from", "move_in_to", "office_hours",
                                 "rules_made_on")},
    "rental": {"min_area_per_person": NUMBER_TEXT, "min_area_rule": TEXT},
    "payment": {k: TEXT for k in ("account_name", "bank", "account_no", "transfer_note", "payment_qr")},
}
PAYMENT_ACCOUNT = ("account_name", "bank", "account_no")   # printed together or not at all
_KIND_NAMES = {str: "文字", int: "整数", float: "小数", bool: "真假值", list: "列表", dict: "表"}


def _kind_name(value: Any) -> str:
    return next((n for t, n in _KIND_NAMES.items() if type(value) is t), type(value).__name__)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def settings_problems(config: dict[str, Any]) -> list[str]:
    """Every problem of a parsed formsmith.toml, one line each: `formsmith.toml [section] key: …`."""
    problems: list[str] = []
    for section, keys in SETTINGS.items():
        if section not in config:
            continue
        table = config[section]
        if not isinstance(table, dict):
            problems.append(f"{CONFIG_NAME} [{section}]: 应为一节设置（[{section}] 下写 键 = 值），"
                            f"实际为{_kind_name(table)} {_shown(table)}")
            continue
        for key, kind in keys.items():
            if key not in table:
                continue
            value, where = table[key], f"{CONFIG_NAME} [{section}] {key}"
            if isinstance(kind, tuple):
                low, high = kind
                if isinstance(value, bool) or not isinstance(value, int):
                    problems.append(f"{where}: 应为整数（{low}–{high}），实际为{_kind_name(value)} {_shown(value)}")
                elif not low <= value <= high:
                    problems.append(f"{where}: 应在 {low} 至 {high} 之间，实际为 {value}")
            elif isinstance(kind, frozenset):
                if value not in kind:
                    choices = " 或 ".join(f'"{k}"' for k in sorted(kind))
                    problems.append(f"{where}: 应为 {choices} 之一，实际为 {_shown(value)}")
            elif kind == TEXT and not isinstance(value, str):
                problems.append(f"{where}: 应为文字（用引号括起），实际为{_kind_name(value)} {_shown(value)}")
            elif kind == TEXTS and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                problems.append(f"{where}: 应为文字列表，如 [\"…\", \"…\"]，实际为 {_shown(value)}")
            elif kind == NUMBER_TEXT and (isinstance(value, bool) or not isinstance(value, (str, int, float))
                                          or (isinstance(value, float) and not math.isfinite(value))):
                problems.append(f"{where}: 应为金额，如 \"8.00\"，实际为 {_shown(value)}")
    pay = config.get("payment")
    if isinstance(pay, dict) and not any(p.startswith(f"{CONFIG_NAME} [payment]") for p in problems):
        given = [k for k in PAYMENT_ACCOUNT if str(pay.get(k, "")).strip()]
        if given and len(given) < len(PAYMENT_ACCOUNT):
            missing = [k for k in PAYMENT_ACCOUNT if k not in given]
            problems.append(f"{CONFIG_NAME} [payment] {missing[0]}: 户名、开户银行、账号须一并填写，缺 "
                            f"{'、'.join(missing)} (account_name, bank and account_no go together)")
        qr = pay.get("payment_qr")
        if isinstance(qr, str) and qr and (qr != Path(qr).name or qr.startswith(".")
                                           or Path(qr).suffix.lower() not in (".png", ".jpg", ".jpeg")):
            problems.append(f"{CONFIG_NAME} [payment] payment_qr: 应为 assets/ 文件夹中的图片文件名"
                            f"（.png 或 .jpg），如 \"pay-qr.png\"，实际为 {_shown(qr)}")
    numbering_table = config.get("numbering")
    if isinstance(numbering_table, dict):
        from .numbering import series_problem
        for key, value in numbering_table.items():
            problem = series_problem(value)
            if problem:
                problems.append(f"{CONFIG_NAME} [numbering] {key}: 编号格式{problem}")
    elif numbering_table is not None:
        problems.append(f"{CONFIG_NAME} [numbering]: 应为一节设置，实际为{_kind_name(numbering_table)} "
                        f"{_shown(numbering_table)}")
    return problems


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
    community_address: str = ""     # the community's postal address (省/市/区/路), for mail

    def as_dict(self) -> dict[str, str]:
        return dict(name=self.name, service_centre=self.service_centre, community=self.community,
                    address=self.address, phone=self.phone, seal_text=self.seal_text,
                    contract=self.contract, community_address=self.community_address)


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
    def inbox_dir(self) -> Path:
        """Scans waiting to be filed (the web app's uploads, a scanner's output folder); an input
        stays here until every page of it is filed, so nothing is lost."""
        return self.root / "inbox"

    @property
    def inbox_done_dir(self) -> Path:
        """Inputs every page of which was filed, moved out of the inbox."""
        return self.root / "inbox-done"

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
                       contract=str(c.get("contract", "《前期物业服务合同》")),
                       community_address=str(c.get("community_address", "")))

    @property
    def payment(self) -> dict[str, str]:
        """[payment] as the letters print it: {} unless the account (户名, 开户银行, 账号) is set;
        transfer_note defaults to 请注明房号, payment_qr (a file of assets/) is there only if set."""
        p = self.config.get("payment", {})
        if not all(str(p.get(k, "")).strip() for k in PAYMENT_ACCOUNT):
            return {}
        out = {k: str(p[k]).strip() for k in PAYMENT_ACCOUNT}
        out["transfer_note"] = str(p.get("transfer_note", "")).strip() or "请注明房号"
        if str(p.get("payment_qr", "")).strip():
            out["payment_qr"] = str(p["payment_qr"]).strip()
        return out

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
    except OSError as exc:
        raise WorkspaceError(f"{path}: 无法读取设置 (cannot be read): {exc.strerror or exc}") from None
    problems = settings_problems(config)
    if problems:
        raise SettingsError(problems)
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


def init_workspace(root: Path, settings: dict[str, str] | None = None,
                   demo: bool = False) -> tuple[Workspace, bool]:
    """Create the workspace folders and settings at `root`; keep whatever exists already.

    A new formsmith.toml of a `demo` workspace also configures [payment] (the demo's account,
    not a real one); any other gets it commented out. Returns the workspace and whether
    formsmith.toml was newly written.
    """
    root = Path(root).resolve()
    try:
        # Explicit modes whatever the umask (000 left formsmith.toml 0666): settings and
        # issued documents readable (0644/0755), the store and the archive owner-only.
        if not root.exists():
            root.mkdir(parents=True, mode=0o755)
            os.chmod(root, 0o755)
        path = root / CONFIG_NAME
        created = not path.exists()
        if created:
            values = {**DEMO_SETTINGS, "payment": DEMO_PAYMENT if demo else PAYMENT_UNSET, **(settings or {})}
            write_atomic(path, DEFAULT_CONFIG.format(**values), mode=0o644, durable=False)
        for sub, mode in (("output", 0o755), ("records", 0o700), ("archive", 0o700)):
            if not (root / sub).is_dir():
                (root / sub).mkdir(mode=mode)
                os.chmod(root / sub, mode)
            elif mode == 0o700:
                os.chmod(root / sub, mode)
    except OSError as exc:
        raise StoreError(f"{exc.filename or root}: 无法创建工作区 (cannot create the workspace): "
                         f"{exc.strerror or exc}") from None
    ws = load_workspace(root)
    ws.store.create()
    return ws, created


def relative_to_workspace(ws: Workspace, path: Path) -> str:
    """`path` as the store records it: relative to the workspace root when inside it."""
    path = path.resolve()
    return str(path.relative_to(ws.root)) if path.is_relative_to(ws.root) else str(path)
