"""Repository content that attacks the worker: it is extracted safely or skipped, and the
context stages still answer on what is left."""

from __future__ import annotations

import gzip
import io
import tarfile

import pytest

from workers.model.tokenizer import EstimatingTokenizer
from workers.pipeline.context.localize import locate_files
from workers.pipeline.context.pack import pack_context
from workers.pipeline.context.snapshot import SnapshotError, extract_tarball

PREFIX = "acme-shop-0123abc"


def _tar(add) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        top = tarfile.TarInfo(PREFIX)
        top.type = tarfile.DIRTYPE
        archive.addfile(top)
        add(archive)
    return gzip.compress(buffer.getvalue(), compresslevel=1)


def _file(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(f"{PREFIX}/{name}")
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def _special(archive: tarfile.TarFile, name: str, kind: bytes) -> None:
    info = tarfile.TarInfo(f"{PREFIX}/{name}")
    info.type = kind
    info.devmajor, info.devminor = 1, 3  # /dev/null's numbers
    archive.addfile(info)


def test_devices_and_fifos_are_skipped_and_never_created(tmp_path):
    def add(archive):
        _file(archive, "app.py", b"def ok():\n    return 1\n")
        _special(archive, "dev/null", tarfile.CHRTYPE)
        _special(archive, "dev/sda", tarfile.BLKTYPE)
        _special(archive, "pipe", tarfile.FIFOTYPE)

    written, skipped = extract_tarball(_tar(add), tmp_path / "tree", 1 << 30)
    assert written == len(b"def ok():\n    return 1\n")
    assert {name.removeprefix(f"{PREFIX}/") for name in skipped} == {"dev/null", "dev/sda", "pipe"}
    assert not (tmp_path / "tree" / "pipe").exists()
    assert not (tmp_path / "tree" / "dev" / "null").exists()


def test_a_hostile_tree_is_extracted_then_localized_and_packed_within_its_bounds(tmp_path):
    huge = b"# filler\n" * (50 * 1024 * 1024 // 9)  # a 50 MB text file

    def add(archive):
        for index in range(10_000):
            _file(
                archive, f"gen/m{index // 100}/f{index}.py", f"VALUE_{index} = {index}\n".encode()
            )
        _file(archive, "huge.py", huge)
        _file(archive, "logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40)
        _file(archive, "latin1.py", "def grüße():\n    return 'é'\n".encode("latin-1"))
        _file(archive, "shop/checkout.py", b"def charge_card(amount):\n    return amount\n")

    root = tmp_path / "tree"
    written, skipped = extract_tarball(_tar(add), root, 1 << 30)
    assert skipped == [] and written > len(huge)
    assert (root / "gen/m99/f9999.py").is_file()

    issue = "charge_card accepts a negative amount\nsee shop/checkout.py and grüße in latin1.py"
    localization = locate_files(root, issue, top_k=5)
    assert localization.paths[0] == "shop/checkout.py"
    assert "logo.png" not in localization.paths
    context = pack_context(
        root,
        [*localization.paths, "huge.py", "logo.png"],
        localization.issue,
        4_000,
        EstimatingTokenizer(),
        all_paths=localization.all_paths,
    )
    packed = {f.path for f in context.files}
    assert "shop/checkout.py" in packed
    # Binary files are never shown; a file past the read cap is never shown whole.
    assert "logo.png" not in packed
    assert all(not f.whole for f in context.files if f.path == "huge.py")
    assert context.tokens <= 4_000
    # Undecodable bytes arrive as replacement characters, not as an exception.
    if "latin1.py" in packed:
        assert "\ufffd" in context.text


def test_a_tarball_over_the_byte_cap_fails_before_filling_the_disk(tmp_path):
    def add(archive):
        _file(archive, "a.bin", b"\x00" * (2 << 20))
        _file(archive, "b.bin", b"\x00" * (2 << 20))

    with pytest.raises(SnapshotError, match="exceeds"):
        extract_tarball(_tar(add), tmp_path / "tree", 3 << 20)
    assert not (tmp_path / "tree" / "b.bin").exists()
