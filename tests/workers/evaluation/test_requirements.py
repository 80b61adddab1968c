"""SWE-bench's requirements for a `requirements.txt` spec: includes inlined, own install lines
and comments out, yanked packages replaced."""

from __future__ import annotations

from workers.evaluation.requirements import requirements_text

FILES = {
    "requirements/dev.txt": "# pinned\n-r tests.txt\n-e .\nbuild==0.10.0\ntypes-pkg_resources==0.1\n",
    "requirements/tests.txt": "# via pytest\npytest==7.2.1\n.[test]\n",
}


def test_includes_are_inlined_and_install_lines_left_out() -> None:
    text = requirements_text(["requirements.txt", "requirements/dev.txt"], FILES.get)
    lines = [line for line in text.split("\n") if line.strip()]
    assert lines == ["pytest==7.2.1", "build==0.10.0", "types-setuptools"]


def test_no_requirements_file_is_none() -> None:
    assert requirements_text(["requirements.txt"], FILES.get) is None
