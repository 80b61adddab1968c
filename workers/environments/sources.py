"""What a repository declares about its dependencies and Python versions, read from its files.

Nothing here runs the repository's code: setup.py is read as text, TOML and INI are parsed.
Each step keeps where it came from, so the plan can say why it installs what it installs.
"""

from __future__ import annotations

import configparser
import contextlib
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from workers.environments.versioning import scm_version

TEST_WORDS = ("test", "tests", "testing", "dev", "develop")
VERSION = re.compile(r"(?<![\d.])3\.(\d{1,2})(?![\d])")
TOX_ENV = re.compile(r"\bpy3\.?(\d{1,2})\b")
CLASSIFIER = re.compile(r"Programming Language :: Python :: 3\.(\d{1,2})\b")
PYTHON_REQUIRES = re.compile(r"python_requires\s*=\s*['\"]([^'\"]+)['\"]")
FACTOR = re.compile(r"^[\w.,!-]+:\s")
PIP_INSTALL = re.compile(r"pip3? install\s+(.+)$")
# Tools a CI line installs for itself, not for the tests.
TOOLING = {"pip", "setuptools", "wheel", "tox", "nox", "uv", "build", "twine", "coverage[toml]"}


@dataclass
class Declared:
    steps: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)  # file → sha256 of its content
    requires_python: str | None = None
    requires_from: str = ""
    versions: dict[str, str] = field(default_factory=dict)  # "3.10" → where it is named
    names: set[str] = field(default_factory=set)  # distributions the declarations name (lowercase)
    has_test_files: bool = False  # requirements files for the tests were found
    # The project's version for setuptools-scm / hatch-vcs, which cannot read it without .git.
    scm_version: str = ""
    scm_version_from: str = ""

    def name(self, requirement: str) -> None:
        head = re.split(r"[\[=<>~!;@ ]", requirement.strip(), maxsplit=1)[0].lower()
        if head and not head.startswith("-"):
            self.names.add(head)


def read_declared(root: Path) -> Declared:
    found = Declared()
    pyproject = _toml(root, "pyproject.toml", found)
    setup_py = _text(root, "setup.py", found)
    setup_cfg = _ini(root, "setup.cfg", found)
    tox = _ini(root, "tox.ini", found)
    _project(found, pyproject, setup_py, setup_cfg)
    _groups(found, pyproject)
    _requirements(root, found)
    _tox(found, tox)
    _workflows(root, found)
    if pyproject is not None or setup_py is not None or setup_cfg is not None:
        found.scm_version, found.scm_version_from = scm_version(root)
        if found.scm_version_from.startswith("the newest release in "):
            _remember(root, found.scm_version_from.removeprefix("the newest release in "), found)
    return found


def _project(found: Declared, pyproject: dict | None, setup_py: str | None, setup_cfg) -> None:
    project = (pyproject or {}).get("project", {})
    build = pyproject is not None and ("build-system" in pyproject or "project" in pyproject)
    if not (build or setup_py is not None or setup_cfg is not None):
        return
    extras, where = [], ""
    optional = project.get("optional-dependencies") or {}
    if optional:
        extras, where = [e for e in optional if e.lower() in TEST_WORDS], "pyproject.toml [project.optional-dependencies]"
    elif setup_cfg is not None and setup_cfg.has_section("options.extras_require"):
        names = setup_cfg.options("options.extras_require")
        extras, where = [e for e in names if e.lower() in TEST_WORDS], "setup.cfg [options.extras_require]"
    elif setup_py and "extras_require" in setup_py:
        named = re.findall(r"['\"]([\w-]+)['\"]\s*:", setup_py.split("extras_require", 1)[1][:2000])
        extras, where = [e for e in dict.fromkeys(named) if e.lower() in TEST_WORDS], "setup.py extras_require"
    for extra in extras:
        for requirement in optional.get(extra, []):
            found.name(requirement)
        if setup_cfg is not None and setup_cfg.has_option("options.extras_require", extra):
            for requirement in setup_cfg.get("options.extras_require", extra).splitlines():
                found.name(requirement)
    if setup_py and extras and "pytest" in setup_py.split("extras_require", 1)[-1][:2000]:
        found.name("pytest")
    # The project's own name counts as named (pytest's repository needs no other pytest).
    if project.get("name"):
        found.name(project["name"])
    elif setup_cfg is not None and setup_cfg.has_option("metadata", "name"):
        found.name(setup_cfg.get("metadata", "name"))
    elif setup_py and (match := re.search(r"\bname\s*=\s*['\"]([\w.-]+)['\"]", setup_py)):
        found.name(match.group(1))
    source = "pyproject.toml" if build else ("setup.py" if setup_py is not None else "setup.cfg")
    target = f".[{','.join(extras)}]" if extras else "."
    reason = f"the project itself, from {source}"
    if extras:
        reason += f"; extras {', '.join(extras)} from {where}"
    found.steps.append((("-e", target), reason))
    # Versions: requires-python, then classifiers.
    requires = project.get("requires-python")
    if requires:
        found.requires_python, found.requires_from = requires, "pyproject.toml requires-python"
    elif setup_cfg is not None and setup_cfg.has_option("options", "python_requires"):
        found.requires_python = setup_cfg.get("options", "python_requires")
        found.requires_from = "setup.cfg python_requires"
    elif setup_py and (match := PYTHON_REQUIRES.search(setup_py)):
        found.requires_python, found.requires_from = match.group(1), "setup.py python_requires"
    classifiers = " ".join(project.get("classifiers", [])) + (setup_py or "")
    if setup_cfg is not None and setup_cfg.has_option("metadata", "classifiers"):
        classifiers += setup_cfg.get("metadata", "classifiers")
    for minor in CLASSIFIER.findall(classifiers):
        found.versions.setdefault(f"3.{minor}", "classifiers")


def _groups(found: Declared, pyproject: dict | None) -> None:
    groups = (pyproject or {}).get("dependency-groups") or {}
    for name in groups:
        if name.lower() in TEST_WORDS:
            requirements = _expand_group(groups, name, set())
            if requirements:
                found.steps.append((tuple(requirements), f"from pyproject.toml [dependency-groups] {name}"))
                for requirement in requirements:
                    found.name(requirement)


def _expand_group(groups: dict, name: str, seen: set[str]) -> list[str]:
    if name in seen:
        return []
    seen.add(name)
    out: list[str] = []
    for item in groups.get(name, []):
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and "include-group" in item:
            out += _expand_group(groups, item["include-group"], seen)
    return out


def _requirements(root: Path, found: Declared) -> None:
    """Runtime requirements when there is no project to install; then the test files whose
    name is only a test word (requirements/test.txt), else any naming one, else dev ones."""
    candidates = sorted(root.glob("*requirements*.txt")) + sorted(root.glob("requirements/*.txt"))
    has_project = any(args[0] == "-e" for args, _ in found.steps)
    ranked: dict[int, list[str]] = {}
    for path in candidates:
        relative = path.relative_to(root).as_posix()
        stem = relative.removesuffix(".txt")
        words = [w for w in re.split(r"[-_./]", stem) if w and w != "requirements"]
        if not words and not has_project or stem in ("requirements/base", "requirements/main"):
            if not has_project:
                ranked.setdefault(0, []).append(relative)
            continue
        tests = [w for w in words if w in ("test", "tests", "testing")]
        if tests:
            ranked.setdefault(1 if len(words) == 1 else 2, []).append(relative)
        elif any(w in ("dev", "develop") for w in words):
            ranked.setdefault(3, []).append(relative)
    chosen = ranked.get(0, []) + next((ranked[r] for r in (1, 2, 3) if ranked.get(r)), [])
    for relative in chosen:
        _remember(root, relative, found)
        _name_file(root / relative, found)
        kind = "runtime requirements" if relative in ranked.get(0, []) else "its name says test or dev"
        found.steps.append((("-r", relative), f"from {relative} ({kind})"))
    found.has_test_files = any(ranked.get(r) for r in (1, 2, 3))


def _tox(found: Declared, tox) -> None:
    if tox is None:
        return
    for section in tox.sections():
        if not section.startswith("testenv") or ":" in section:
            continue
        if tox.has_option(section, "deps") and not found.has_test_files:
            deps = []
            for line in tox.get(section, "deps").splitlines():
                line = line.split("#", 1)[0].strip().replace("{toxinidir}/", "").replace("{toxinidir}", ".")
                if line.startswith("-r") and len(line) > 2 and line[2] != " ":
                    line = f"-r {line[2:]}"
                # Factor-conditional lines ("py38: mock") and archives by URL are left out.
                if line and "{" not in line and not FACTOR.match(line) and "://" not in line:
                    deps += line.split() if line.startswith("-r") else [line]
                    found.name(line)
            if deps:
                found.steps.append((tuple(deps), f"from tox.ini [{section}] deps"))
        if tox.has_option(section, "extras") and not any(a[0] == "-e" and "[" in a[1] for a, _ in found.steps):
            extras = [e.strip() for e in re.split(r"[,\s]+", tox.get(section, "extras")) if e.strip()]
            if extras and any(a[0] == "-e" for a, _ in found.steps):
                found.steps.append((("-e", f".[{','.join(extras)}]"), f"from tox.ini [{section}] extras"))
    if tox.has_option("tox", "envlist"):
        for minor in TOX_ENV.findall(tox.get("tox", "envlist")):
            found.versions.setdefault(f"3.{minor}", "tox.ini envlist")


def _workflows(root: Path, found: Declared) -> None:
    folder = root / ".github" / "workflows"
    if not folder.is_dir():
        return
    tests_known = len(found.steps) > 1 or any("[" in a for args, _ in found.steps for a in args)
    for path in sorted(folder.glob("*.y*ml")):
        relative = path.relative_to(root).as_posix()
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        used = False
        for number, line in enumerate(lines):
            if "python-version" in line or re.search(r"\bpython:\s", line):
                for follow in [line, *(x for x in lines[number + 1 : number + 8] if x.strip().startswith("-"))]:
                    for minor in VERSION.findall(follow):
                        found.versions.setdefault(f"3.{minor}", f"{relative} matrix")
            match = PIP_INSTALL.search(line)
            if match and not tests_known:
                args = _pip_args(match.group(1))
                for previous, arg in zip(["", *args], args, strict=False):
                    if previous == "-r":
                        _name_file(root / arg, found)
                    else:
                        found.name(arg)
                if args:
                    found.steps.append((tuple(args), f"a hint from {relative}: `{line.strip()}`"))
                    used = True
        if used:
            _remember(root, relative, found)


def _name_file(path: Path, found: Declared) -> None:
    try:
        for line in path.read_text(errors="replace").splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                found.name(line)
    except OSError:
        pass


def _pip_args(text: str) -> list[str]:
    words = text.split("&&", 1)[0].split()
    out: list[str] = []
    take_next = False
    for word in words:
        word = word.strip("'\"")
        if take_next:
            out.append(word)
            take_next = False
        elif word in ("-r", "--requirement", "-e", "--editable"):
            out.append(word)
            take_next = True
        elif word.startswith("-") or "$" in word or "{" in word or word.lower() in TOOLING or word == ".":
            continue
        else:
            out.append(word)
    return [w for w in out if w]


def _remember(root: Path, relative: str, found: Declared) -> None:
    with contextlib.suppress(OSError):
        found.inputs[relative] = hashlib.sha256((root / relative).read_bytes()).hexdigest()


def _text(root: Path, name: str, found: Declared) -> str | None:
    path = root / name
    if not path.is_file():
        return None
    _remember(root, name, found)
    return path.read_text(errors="replace")


def _toml(root: Path, name: str, found: Declared) -> dict | None:
    text = _text(root, name, found)
    if text is None:
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}


def _ini(root: Path, name: str, found: Declared):
    text = _text(root, name, found)
    if text is None:
        return None
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return configparser.ConfigParser(interpolation=None)
    return parser
