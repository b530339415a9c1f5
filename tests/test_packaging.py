"""The wheel: it ships every package and the built-in templates, and an installed wheel issues."""
from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
TEMPLATES_PACKAGE = "formsmith._templates"
NOT_SHIPPED = {"owner-handbook/build_docx.py"}   # how template.docx was first made


def _cache(path: Path) -> bool:
    return "__pycache__" in path.parts or path.suffix == ".pyc"


def template_files() -> list[str]:
    """Every file of templates/ a wheel must ship, relative to templates/."""
    root = REPO / "templates"
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and not _cache(p.relative_to(root))
                  and p.relative_to(root).as_posix() not in NOT_SHIPPED)


def test_every_package_is_listed():
    """pyproject.toml lists the packages by hand (the templates are one): none may be missing."""
    found = sorted(".".join(d.relative_to(REPO).parts) for d in [REPO / "formsmith",
                                                                 *(REPO / "formsmith").rglob("*")]
                   if d.is_dir() and not _cache(d) and any(f.is_file() for f in d.iterdir()))
    shared = [f"{TEMPLATES_PACKAGE}.{d.name}" for d in (REPO / "templates").iterdir()
              if d.is_dir() and d.name.isidentifier()]
    assert sorted(SETUPTOOLS["packages"]) == sorted([*found, TEMPLATES_PACKAGE, *shared])
    assert SETUPTOOLS["package-dir"] == {TEMPLATES_PACKAGE: "templates"}


def test_import_contracts_name_every_module():
    """The layers of [tool.importlinter] list the package's modules by name: a module added
    later must be added there too, or the contracts would not cover it."""
    import pkgutil

    import formsmith
    import formsmith.processes
    command_line = ("formsmith.cli", "formsmith.clikit")
    modules = sorted(f"formsmith.{m.name}" for m in pkgutil.iter_modules(formsmith.__path__)
                     if m.name != "_templates" and f"formsmith.{m.name}" not in command_line)
    processes = sorted(f"formsmith.processes.{m.name}"
                       for m in pkgutil.iter_modules(formsmith.processes.__path__) if m.ispkg)
    contracts = {c["id"]: c for c in PYPROJECT["tool"]["importlinter"]["contracts"]}
    assert sorted(contracts["library-below-cli"]["source_modules"]) == modules
    assert sorted(contracts["store-owns-tinydb"]["source_modules"]) == \
        sorted([m for m in modules if m != "formsmith.store"] + list(command_line))
    assert sorted(contracts["processes-independent"]["modules"]) == processes
    assert len(processes) >= 5
    # every module has its place in the layers, once (the processes as one layer)
    placed = [m.strip() for layer in contracts["layers"]["layers"] for m in layer.replace("|", ":").split(":")]
    assert sorted(placed) == sorted([*modules, *command_line]) and len(placed) == len(set(placed))


def test_package_data_covers_every_template_file_kind():
    """A template holding a kind of file the package-data globs miss would not be in the wheel."""
    globs = SETUPTOOLS["package-data"][TEMPLATES_PACKAGE]
    assert all(g.startswith("**/*.") for g in globs), globs
    kinds = {g.removeprefix("**/*") for g in globs}
    missed = [f for f in template_files() if Path(f).suffix.lower() not in kinds]
    assert not missed, f"add their kind to [tool.setuptools.package-data] in pyproject.toml: {missed}"


def test_checkout_uses_its_own_templates():
    from formsmith.workspace import BUILTIN_TEMPLATES
    assert BUILTIN_TEMPLATES == REPO / "templates"


def _clean_env() -> dict[str, str]:
    """The environment without anything pointing Python or formsmith at the checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE",
                        "FORMSMITH_HOME", "VIRTUAL_ENV")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _run(args: list, cwd: Path, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=_clean_env(), capture_output=True,
                          text=True, timeout=600, **kw)
    assert proc.returncode == 0, f"{args}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
    return proc


@pytest.mark.slow
def test_installed_wheel_ships_every_template_and_issues_with_each_engine(tmp_path):
    """Build the wheel, install it into a fresh virtualenv (no network: the running venv's
    packages are made visible to it, formsmith excepted): it ships every file of templates/,
    byte for byte, and the web app's pages; from there the demo is made (letters, a receipt,
    the cases' and rounds' documents), and a sample is issued: each engine (html, typst, docx)
    and each shared piece of templates/_base (the receipt, the agreements' signature boxes)."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()

    # Build from a copy of the sources: an in-tree build leaves build/ in the checkout, and a
    # stale build/lib there would go into the wheel and hide a missing file.
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
        ".hypothesis", "output", "records", "archive", "tests", "bench", "docs"))
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
          "--no-index", "-w", wheels, src], cwd=outside)
    [wheel] = wheels.glob("formsmith-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = sorted(n.removeprefix("formsmith/_templates/") for n in names
                     if n.startswith("formsmith/_templates/"))
    assert shipped == template_files()
    with zipfile.ZipFile(wheel) as z:
        changed = [n for n in shipped if z.read("formsmith/_templates/" + n) != (REPO / "templates" / n).read_bytes()]
    assert changed == []
    assert {"formsmith/web/pages/unit.html", "formsmith/web/static/htmx-2.0.11.min.js",
            "formsmith/web/static/app.css"} <= names
    assert "formsmith/fontconfig/formsmith-cjk.conf" in names
    assert "formsmith/render/lo_worker.py" in names

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=outside)
    python, formsmith = venv / "bin" / "python", venv / "bin" / "formsmith"
    purelib = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                        cwd=outside).stdout.strip())
    # The running venv's site-packages as plain path entries: its packages (pip included) are
    # importable, its .pth files (the editable formsmith's finder) are not run.
    (purelib / "_running_venv.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    _run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--ignore-installed",
          wheel], cwd=outside)

    where = _run([python, "-c", "import formsmith, formsmith.workspace as w; "
                                "print(formsmith.__file__); print(w.BUILTIN_TEMPLATES)"],
                 cwd=outside).stdout.split("\n")
    assert Path(where[0]) == purelib / "formsmith" / "__init__.py"
    assert Path(where[1]) == (purelib / "formsmith" / "_templates").resolve()

    home = outside / "ws"
    _run([formsmith, "init", "--demo", home], cwd=outside)
    assert list((home / "output" / "dunning-letter").rglob("*.pdf"))
    listed = json.loads(_run([formsmith, "--home", home, "templates", "list", "--json"],
                             cwd=outside).stdout)
    ids = sorted(t["id"] for t in listed)
    assert ids == sorted(p.parent.name for p in (REPO / "templates").glob("*/manifest.toml"))
    # a receipt is only for a recorded payment: the demo's story took one at the counter
    assert list((home / "output" / "fee-receipt").rglob("*.pdf"))
    # One template's example through the installed command, the sample through the installed
    # library in one process (every template is the conformance tests' work, from the checkout;
    # what the wheel could lose is a file, and the file list above is checked whole).
    data = outside / "move-in-registration.json"
    data.write_text(_run([formsmith, "--home", home, "templates", "example", "move-in-registration"],
                         cwd=outside).stdout, encoding="utf-8")
    out = json.loads(_run([formsmith, "--home", home, "render", "move-in-registration", "--data", data,
                           "--json"], cwd=outside).stdout)
    assert Path(out["path"]).read_bytes().startswith(b"%PDF-")
    script = outside / "render_all.py"
    script.write_text(
        "import json, sys\n"
        "from formsmith import issue, load_workspace\n"
        "ws = load_workspace(sys.argv[1])\n"
        "done = {}\n"
        "for tid, engine in json.loads(sys.argv[2]):\n"
        "    done[tid + '/' + engine] = issue(ws, tid, data=ws.catalog.get(tid).example, again=True,\n"
        "                                     engine=engine).path\n"
        "print(json.dumps(done))\n", encoding="utf-8")
    sample = [("legal-notice", "typst"), ("owner-handbook", "docx"), ("debris-fee-receipt", "html"),
              ("custody-agreement", "html")]
    rendered = json.loads(_run([python, script, home, json.dumps(sample)], cwd=outside).stdout)
    assert sorted(rendered) == sorted(f"{t}/{e}" for t, e in sample)
    for tid, path in rendered.items():
        pdf = Path(path)
        assert pdf.is_relative_to(home) and pdf.read_bytes().startswith(b"%PDF-"), (tid, path)
