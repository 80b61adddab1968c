"""A text file as lines plus the bytes around them (line endings, final newline, BOM)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

_BOM = "\ufeff"
# Git's own rule for "binary": a NUL byte in the first 8000 bytes.
_BINARY_PROBE = 8000


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:_BINARY_PROBE]


def split_keepends(text: str) -> list[str]:
    """Split on "\\n" only (str.splitlines also splits on form feeds and the like)."""
    if not text:
        return []
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


@dataclass
class TextFile:
    """Lines without their endings; each line's own ending is kept beside it."""

    lines: list[str]
    eols: list[str]
    bom: bool = False

    @classmethod
    def from_bytes(cls, data: bytes) -> TextFile:
        # surrogateescape keeps bytes that are not UTF-8 exactly as they were.
        return cls.from_text(data.decode("utf-8", "surrogateescape"))

    @classmethod
    def from_text(cls, text: str) -> TextFile:
        bom = text.startswith(_BOM)
        if bom:
            text = text[1:]
        lines, eols = [], []
        for raw in split_keepends(text):
            if raw.endswith("\r\n"):
                lines.append(raw[:-2])
                eols.append("\r\n")
            elif raw.endswith("\n"):
                lines.append(raw[:-1])
                eols.append("\n")
            else:
                lines.append(raw)
                eols.append("")
        return cls(lines, eols, bom)

    @property
    def default_eol(self) -> str:
        counts = Counter(eol for eol in self.eols if eol)
        if counts["\r\n"] > counts["\n"]:
            return "\r\n"
        return "\n"

    @property
    def final_newline(self) -> bool:
        return not self.eols or self.eols[-1] != ""

    def replace(self, start: int, end: int, new: list[tuple[str, int | None]]) -> None:
        """Put `new` in place of lines[start:end]; each new line names the old line whose
        ending it keeps, or None for a fresh line that takes the file's usual ending."""
        had_final_newline = self.final_newline
        eol = self.default_eol
        new_lines = [text for text, _ in new]
        new_eols = [self.eols[old] if old is not None else eol for _, old in new]
        self.lines[start:end] = new_lines
        self.eols[start:end] = new_eols
        self.fix_final_newline(had_final_newline, eol)

    def fix_final_newline(self, keep_final_newline: bool, eol: str) -> None:
        """Only the last line may lack an ending, and only if the file lacked one before."""
        for index in range(len(self.eols) - 1):
            if not self.eols[index]:
                self.eols[index] = eol
        if self.eols:
            if keep_final_newline and not self.eols[-1]:
                self.eols[-1] = eol
            elif not keep_final_newline:
                self.eols[-1] = ""

    def to_text(self) -> str:
        body = "".join(line + eol for line, eol in zip(self.lines, self.eols, strict=True))
        return (_BOM if self.bom else "") + body

    def to_bytes(self) -> bytes:
        return self.to_text().encode("utf-8", "surrogateescape")
