"""The guides point at code that exists: every file path (``training/org/views.py``)
and dotted name (``training.compliance.recompute.compliance_recompute``) quoted in
README.md and docs/ is there, so a move of code cannot leave the map behind."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[1]
APPS = "cms|assessments|courses|training|benchmarks|ops|tests"
# Files by their extension, folders by their trailing slash; not generated output.
EXTENSIONS = "py|md|html|js|css|json|toml|txt"
PATH = re.compile(rf"`((?:{APPS})/[\w./-]*(?:\.(?:{EXTENSIONS})|/))`")
DOTTED = re.compile(rf"`((?:{APPS.replace('|benchmarks|ops|tests', '')})(?:\.\w+)+)`")


def _documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    if re.fullmatch(r"\w+\.[WE]\d{3}", dotted):
        return True  # a system check's id (cms.W001)
    if len(parts) == 2 and not _is_module(dotted):
        try:  # an app label and model (training.RoleGrant, courses.lessonpage)
            apps.get_model(dotted)
        except LookupError:
            return False
        return True
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        if not _is_module(module):
            continue
        if cut == len(parts):
            return True  # a module (not imported: settings modules read the env)
        target = importlib.import_module(module)
        for name in parts[cut:]:
            if not hasattr(target, name):
                return False
            target = getattr(target, name)
        return True
    return False


def test_quoted_paths_exist():
    missing = []
    for doc in _documents():
        for path in PATH.findall(doc.read_text(encoding="utf-8")):
            if not (ROOT / path.rstrip(".")).exists():
                missing.append(f"{doc.relative_to(ROOT)}: {path}")
    assert not missing, "Paths in the guides that do not exist:\n" + "\n".join(missing)


def test_quoted_dotted_names_resolve():
    missing = []
    for doc in _documents():
        for dotted in DOTTED.findall(doc.read_text(encoding="utf-8")):
            if not _resolves(dotted):
                missing.append(f"{doc.relative_to(ROOT)}: {dotted}")
    assert not missing, "Names in the guides that do not exist:\n" + "\n".join(missing)
