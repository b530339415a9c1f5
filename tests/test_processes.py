"""One folder per process: every template names its process, every rule and data builder lives
in the package of the process its template names, and a new process is found without editing
anything outside its own folder."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from formsmith import catalog, registry, rules, sources
from formsmith.workspace import BUILTIN_TEMPLATES


def builtin_templates() -> list[catalog.Template]:
    cat = catalog.Catalog([BUILTIN_TEMPLATES])
    return [cat.get(t) for t in cat.ids()]


def test_every_template_names_a_process_that_exists():
    processes = registry.load()
    assert set(processes) >= {"arrears", "custody", "movein", "renovation", "services"}
    for tpl in builtin_templates():
        assert tpl.process in processes, f"{tpl.id}: process = {tpl.process!r}"


def test_rules_and_builders_live_with_the_process_of_their_template():
    for tpl in builtin_templates():
        home = registry.load()[tpl.process].module
        for fn in rules.rules_for(tpl.id):
            assert fn.__module__.startswith(home + "."), f"{tpl.id}: rule {fn.__name__} in {fn.__module__}"
        if tpl.source:
            fn = sources._BUILDERS[tpl.source]
            assert fn.__module__.startswith(home + "."), f"{tpl.id}: builder {tpl.source} in {fn.__module__}"


def test_a_new_process_is_one_package(tmp_path):
    """A process package put beside the others (here on the package's search path) is found:
    its table is a kind of record, its demo rows join the demo, its command joins `formsmith`."""
    pkg = tmp_path / "parking"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(textwrap.dedent('''
        from formsmith.registry import Process, register

        def demo_rows(rows):
            return {"parking_spaces": [{"id": "CW2025-001", "unit": rows["units"][0]["id"]}]}

        PROCESS = register(Process("parking", "车位管理", tables=("parking_spaces",), demo=demo_rows,
                                   columns={"parking_spaces": ("id", "unit")}))
    '''), encoding="utf-8")
    (pkg / "cli.py").write_text(textwrap.dedent('''
        import click

        @click.group()
        def parking():
            """Parking spaces (车位)."""

        COMMANDS = [parking]
    '''), encoding="utf-8")
    script = textwrap.dedent(f'''
        import formsmith.processes
        formsmith.processes.__path__.append({str(tmp_path)!r})
        from formsmith import demo, records
        from formsmith.cli import cli
        assert "parking" in cli.commands, sorted(cli.commands)
        assert records.kinds()["parking_spaces"].columns == ("id", "unit")
        assert demo.generate()["parking_spaces"][0]["id"] == "CW2025-001"
        print("found")
    ''')
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "found", done.stderr


def test_the_public_api_holds_every_step_a_service_centre_takes():
    """Library first: what the command line does, a program can do from `formsmith` alone."""
    import formsmith
    for name in ("init_workspace", "load_workspace", "issue", "run_dunning", "import_sheet",
                 "ingest_scans", "pay", "seal", "verify", "backup", "restore", "fsck", "mark", "list_documents"):
        assert callable(getattr(formsmith, name)), name
        assert name in formsmith.__all__, name
