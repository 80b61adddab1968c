"""Writing changes as one unit: a failure halfway puts every file back."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from tests.workers.pipeline.edits.edit_helpers import lay_out, read_tree
from workers.pipeline.edits import file_writer
from workers.pipeline.edits.file_writer import StaleFile, write_changes


@dataclass(frozen=True)
class Change:
    path: str
    old: bytes | None
    new: bytes | None


def test_writes_creates_and_deletes_keeping_file_modes(tmp_path):
    lay_out(tmp_path, {"run.sh": "echo 1\n", "gone.txt": "x\n"})
    os.chmod(tmp_path / "run.sh", 0o755)
    write_changes(
        tmp_path,
        [
            Change("run.sh", b"echo 1\n", b"echo 2\n"),
            Change("gone.txt", b"x\n", None),
            Change("new/deep/file.py", None, b"y = 1\n"),
        ],
    )
    assert read_tree(tmp_path) == {"new/deep/file.py": b"y = 1\n", "run.sh": b"echo 2\n"}
    assert os.stat(tmp_path / "run.sh").st_mode & 0o777 == 0o755


def test_a_failure_halfway_restores_every_file(tmp_path, monkeypatch):
    lay_out(tmp_path, {"a.py": "a\n", "b.py": "b\n", "c.py": "c\n"})
    real_replace = os.replace
    calls = []

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(file_writer.os, "replace", failing_replace)
    with pytest.raises(OSError):
        write_changes(
            tmp_path,
            [
                Change("a.py", b"a\n", b"A\n"),
                Change("new/n.py", None, b"n\n"),
                Change("c.py", b"c\n", b"C\n"),
            ],
        )
    monkeypatch.setattr(file_writer.os, "replace", real_replace)
    assert read_tree(tmp_path) == {"a.py": b"a\n", "b.py": b"b\n", "c.py": b"c\n"}
    assert not (tmp_path / "new").exists()


def test_a_file_changed_since_planning_is_not_overwritten(tmp_path):
    lay_out(tmp_path, {"a.py": "edited meanwhile\n"})
    with pytest.raises(StaleFile):
        write_changes(tmp_path, [Change("a.py", b"a\n", b"A\n")])
    assert (tmp_path / "a.py").read_text() == "edited meanwhile\n"
