"""The rules of STYLE.md and DESIGN.md that a machine can check, run with every test."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Each may import only those before it.
APPS = [
    "accounts",
    "contacts",
    "inbox",
    "campaigns",
    "surveys",
    "assistant",
    "webhooks",
    "api",
    "webchat",
    "journey",
    "operations",
]
DEMO = "demo"  # demo and synthetic data: may import every app, and no app imports it
SENSITIVE = r"(Conversation|Contact|Message|Campaign|Note|Identity|Comment|Inbox)"


def python_files(*folders: str):
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module.split(".")[0])
    return modules


@pytest.mark.parametrize("app", APPS)
def test_apps_import_only_earlier_apps(app):
    later = set(APPS[APPS.index(app) + 1 :]) | {DEMO}
    offenders = [
        f"{path.relative_to(ROOT)} imports {sorted(imported_modules(path) & later)}"
        for path in python_files(app)
        if imported_modules(path) & later
    ]

    assert not offenders


def test_lib_imports_no_app():
    offenders = [
        str(path.relative_to(ROOT))
        for path in python_files("lib")
        if imported_modules(path) & {*APPS, DEMO}
    ]

    assert not offenders


def test_views_load_sensitive_objects_only_through_access():
    pattern = re.compile(rf"\b{SENSITIVE}\.objects\.get\(|get_object_or_404\({SENSITIVE}\b")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in python_files(*APPS)
        if path.name.endswith("views.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]

    assert not offenders


def test_tasks_are_enqueued_only_on_commit():
    pattern = re.compile(r"\.(delay|apply_async)\(")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in python_files(*APPS, DEMO, "lib", "config")
        if path.name != "tasks.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]

    assert not offenders, "use task.delay_on_commit(...) so a rolled-back change sends nothing"


def template_files():
    return sorted((ROOT / "templates").rglob("*.html"))


def test_templates_live_beside_the_app_that_renders_them():
    """templates/ holds one folder per app; an app's code and templates name its own templates,
    an earlier app's (reused, as it may import its code) or the shared ones at the top."""
    python_name = re.compile(r"[\"']([a-z_]+)/[\w/.-]+\.(?:html|txt)(?:#[\w-]+)?[\"']")
    template_name = re.compile(r"{%\s*(?:include|extends)\s+\"([a-z_]+)/")
    offenders = []
    for app in APPS:
        allowed = APPS[: APPS.index(app) + 1]
        named = [(path, python_name) for path in python_files(app)]
        named += [(path, template_name) for path in (ROOT / "templates" / app).rglob("*.html")]
        offenders += [
            f"{path.relative_to(ROOT)} names {folder}/…"
            for path, pattern in named
            for folder in pattern.findall(path.read_text(encoding="utf-8"))
            if folder not in allowed
        ]

    assert not offenders
    assert {p.name for p in (ROOT / "templates").iterdir() if p.is_dir()} <= set(APPS)


@pytest.mark.parametrize("app", APPS)
def test_every_template_of_an_app_is_used_by_that_app(app):
    """A template only later apps name belongs to them (config's settings count as the
    project's): templates/<app>/ holds what <app> itself renders, includes or registers."""
    reference = re.compile(r"[\"']((?:[a-z_]+/)+[\w.-]+\.(?:html|txt))(?:#[\w-]+)?[\"']")
    folder = ROOT / "templates" / app
    sources = [*python_files(app), *folder.rglob("*.*"), ROOT / "config" / "settings.py"]
    named = {name for path in sources for name in reference.findall(path.read_text("utf-8"))}
    unused = [
        str(path.relative_to(ROOT / "templates"))
        for path in sorted(folder.rglob("*.*"))
        if str(path.relative_to(ROOT / "templates")) not in named
    ]

    assert not unused


def test_templates_have_no_inline_script_or_style():
    offenders = []
    for path in template_files():
        text = path.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(f"{path.relative_to(ROOT)}: inline <script>")
        if re.search(r"\sstyle=|<style\b|\son[a-z]+=|hx-on", text):
            offenders.append(f"{path.relative_to(ROOT)}: inline style or event handler")

    assert not offenders


def test_every_htmx_link_also_has_an_href():
    offenders = []
    for path in template_files():
        for tag in re.findall(r"<a\b[^>]*>", path.read_text(encoding="utf-8"), flags=re.S):
            if "hx-get" in tag and "href=" not in tag:
                offenders.append(f"{path.relative_to(ROOT)}: {tag[:80]}")

    assert not offenders


def test_no_asset_comes_from_a_cdn():
    pattern = re.compile(
        r"https?://(unpkg\.com|cdn\.jsdelivr\.net|cdnjs\.cloudflare\.com|fonts\.googleapis)"
    )

    assert not [p for p in template_files() if pattern.search(p.read_text(encoding="utf-8"))]


def test_css_colours_are_named_once_in_root():
    """Raw hex colours appear only in :root (app.css); every rule uses var(--…)."""
    offenders = []
    for path in sorted((ROOT / "static" / "css").glob("*.css")):
        text = re.sub(r":root\s*\{[^}]*\}", "", path.read_text(encoding="utf-8"))
        for declarations in re.findall(r"\{([^{}]*)\}", text):  # rule bodies, never selectors
            offenders += [
                f"{path.name}: {hex_}" for hex_ in re.findall(r"#[0-9a-fA-F]{3,8}\b", declarations)
            ]

    assert not offenders


def test_modules_stay_small():
    big = [
        f"{path.relative_to(ROOT)} ({count} lines)"
        for path in python_files(*APPS, DEMO, "lib", "config")
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > 500
    ]

    assert not big
