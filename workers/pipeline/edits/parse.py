"""Parsing a raw model response into its analysis and every edit it proposes, in order."""

from __future__ import annotations

import re

from workers.model.reply import strip_reasoning
from workers.pipeline.edits.analysis import extract_analysis
from workers.pipeline.edits.diff_reader import read_diff, read_headerless_hunks, starts_diff
from workers.pipeline.edits.json_form import looks_like_json_reply, read_json_reply
from workers.pipeline.edits.parse_paths import (
    extract_comment_header,
    extract_info_path,
    extract_path_line,
    extract_path_mention,
)
from workers.pipeline.edits.types import (
    FilePatch,
    ParsedResponse,
    SearchReplaceEdit,
    WholeFileEdit,
)

_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_SEARCH = re.compile(r"^\s*<{5,9} ?SEARCH\s*$")
_DIVIDER = re.compile(r"^\s*={7}\s*$")
_REPLACE = re.compile(r"^\s*>{5,9} ?REPLACE\s*$")
_DIFF_INFO = {"diff", "patch", "udiff"}


def parse_response(text: str) -> ParsedResponse:
    """Read the analysis and the edits (SEARCH/REPLACE, unified diff, whole file)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Edits are never taken from what the model thought aloud.
    answer, _reasoning = strip_reasoning(text)
    if looks_like_json_reply(answer):
        # The structured form (a server constraining decoding to EDIT_SCHEMA); anything that
        # is not that JSON object is read as text below.
        parsed = read_json_reply(answer)
        if parsed is not None:
            return parsed
    scanner = _Scanner(answer.split("\n"))
    scanner.run()
    prose = [text for index, text in sorted(scanner.prose.items())]
    root_cause, explanation, tests = extract_analysis(prose)
    return ParsedResponse(
        edits=scanner.edits,
        root_cause=root_cause,
        explanation=explanation,
        tests=tests,
        problems=scanner.problems,
    )


def _is_closing_fence(line: str, fence: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= len(fence) and stripped == fence[0] * len(stripped)


class _Scanner:
    """One pass over the response lines, outside and inside code fences."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.edits: list[SearchReplaceEdit | FilePatch | WholeFileEdit] = []
        # Prose by line number (quoted code under the line number of its fence); a path
        # line that turns out to head an edit is taken out again.
        self.prose: dict[float, str] = {}
        self.problems: list[str] = []
        self.last_path: str | None = None

    def run(self) -> None:
        lines = self.lines
        i = 0
        while i < len(lines):
            fence = _FENCE.match(lines[i])
            if _SEARCH.match(lines[i]):
                path = self._path_above(i, strict=False) or self.last_path
                i = self._take_search_replace(lines, i, path, offset=0)
            elif fence:
                i = self._take_fence(i, fence.group("fence"), fence.group("info").strip())
            elif starts_diff(lines, i):
                segment = read_diff(lines, i, fenced=False)
                self.edits.extend(segment.patches)
                self.problems.extend(segment.problems)
                i = segment.end
            else:
                self.prose[i] = lines[i]
                i += 1

    def _path_above(self, i: int, strict: bool) -> str | None:
        """The path on the nearest non-blank line above line i (blank lines skipped)."""
        j = i - 1
        while j >= 0 and not self.lines[j].strip():
            j -= 1
        if j < 0 or i - j > 3:
            return None
        line = self.lines[j]
        exact = extract_path_line(line)
        if exact:
            self.prose.pop(j, None)  # a heading for the edit, not part of the analysis
            return exact
        return None if strict else extract_path_mention(line)

    def _find_block_end(self, lines: list[str], i: int) -> int | None:
        """Index of the REPLACE marker closing the SEARCH block at i, if any."""
        for j in range(i + 1, len(lines)):
            if _REPLACE.match(lines[j]):
                return j
            if _SEARCH.match(lines[j]):
                return None
        return None

    def _take_search_replace(self, lines: list[str], i: int, path: str | None, offset: int) -> int:
        end = self._find_block_end(lines, i)
        where = offset + i + 1
        if end is None:
            self.problems.append(
                f"response line {where}: SEARCH block has no '>>>>>>> REPLACE' line "
                "(the response looks cut off)"
            )
            return len(lines)
        dividers = [j for j in range(i + 1, end) if _DIVIDER.match(lines[j])]
        if len(dividers) % 2 == 0:
            # One divider is the separator; an odd count means the text itself holds
            # "=======" lines equally often on both sides, so the middle one separates.
            self.problems.append(
                f"response line {where}: SEARCH block needs exactly one '=======' separator"
            )
            return end + 1
        divider = dividers[len(dividers) // 2]
        if path is None:
            self.problems.append(
                f"response line {where}: SEARCH block has no file path on the line above it"
            )
            return end + 1
        search = "".join(line + "\n" for line in lines[i + 1 : divider])
        replace = "".join(line + "\n" for line in lines[divider + 1 : end])
        self.edits.append(SearchReplaceEdit(path, search, replace, line=where))
        self.last_path = path
        return end + 1

    def _take_fence(self, i: int, fence: str, info: str) -> int:
        lines = self.lines
        j = i + 1
        end = None
        while j < len(lines):
            if _SEARCH.match(lines[j]):
                block_end = self._find_block_end(lines, j)
                if block_end is None:
                    break
                j = block_end + 1
                continue
            if _is_closing_fence(lines[j], fence):
                end = j
                break
            j += 1
        content = lines[i + 1 : end if end is not None else len(lines)]
        closed = end is not None
        if any(_SEARCH.match(line) for line in content):
            self._take_fenced_search_replace(i, content, info)
        elif self._looks_like_diff(content, info):
            self._take_fenced_diff(i, content, info, closed)
        else:
            self._take_whole_file(i, content, info, closed, fence)
        return end + 1 if closed else len(lines)

    def _take_fenced_search_replace(self, i: int, content: list[str], info: str) -> None:
        path = extract_info_path(info) or self._path_above(i, strict=False) or self.last_path
        k = 0
        while k < len(content):
            if _SEARCH.match(content[k]):
                k = self._take_search_replace(content, k, path, offset=i + 1)
                continue
            named = extract_path_mention(content[k]) if content[k].strip() else None
            path = named or path
            k += 1

    @staticmethod
    def _looks_like_diff(content: list[str], info: str) -> bool:
        if info.split()[:1] and info.split()[0].lower() in _DIFF_INFO:
            return True
        for k, line in enumerate(content):
            if line.strip():
                return starts_diff(content, k) or line.startswith("@@")
        return False

    def _take_fenced_diff(self, i: int, content: list[str], info: str, closed: bool) -> None:
        segment = read_diff(content, 0, fenced=True, line_offset=i + 1)
        patches = segment.patches
        if not patches:
            path = extract_info_path(info) or self._path_above(i, strict=False)
            hunks = read_headerless_hunks(content, self.problems, i + 1)
            if path and hunks:
                patches = [FilePatch(path, path, tuple(hunks), line=i + 1)]
            elif hunks:
                self.problems.append(f"response line {i + 1}: diff has no file header")
        if patches and not closed:
            self.problems.append(
                f"response line {i + 1}: the diff's code block never closes "
                "(the response looks cut off)"
            )
        self.edits.extend(patches)
        self.problems.extend(segment.problems)

    def _take_whole_file(
        self, i: int, content: list[str], info: str, closed: bool, fence: str
    ) -> None:
        path = extract_info_path(info) or self._path_above(i, strict=True)
        first = next((line for line in content if line.strip()), "")
        header_path = extract_comment_header(first) if first else None
        header_line = ""
        if header_path and (path is None or _same_path(path, header_path)):
            path = path or header_path
            header_line = first
            content = content[content.index(first) + 1 :]
        if path is None:
            # Quoted code, a shell command or an example: part of the prose, not an edit.
            quoted = [fence + info, *content, fence]
            self.prose.update({i + k / (len(quoted) + 1): text for k, text in enumerate(quoted)})
            return
        if not closed:
            self.problems.append(
                f"response line {i + 1}: the code block for {path} never closes "
                "(the response looks cut off)"
            )
        text = "".join(line + "\n" for line in content)
        self.edits.append(WholeFileEdit(path, text, line=i + 1, header_line=header_line))


def _same_path(a: str, b: str) -> bool:
    def norm(p: str) -> str:
        return p.replace("\\", "/").removeprefix("./")

    return norm(a) == norm(b) or norm(a).endswith("/" + norm(b)) or norm(b).endswith("/" + norm(a))
