"""The parts of an issue that describe the reporter's setup or the tracker's template, not the
code: left out before the issue is searched for what to edit.

Issue templates (xarray's, pytest's, sphinx's, pylint's...) ask for a checklist, hidden
instructions and the installed versions. Those lines name dozens of packages (`zarr: 2.13.3`,
`dask: 2022.10.0`, `sphinx: None`) that are also module and folder names of the project, so
they pull its backends and integrations up the ranking for every issue filed with the template.
The model still gets the whole issue; only localization reads it without these lines.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^[ \t]*(```|~~~).*?(?:^[ \t]*\1[^\n]*$|\Z)", re.M | re.S)
# <!-- instructions left in the template -->
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
# - [x] a detailed description of the bug...
_CHECKLIST_LINE = re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]+\[[ xX]\][^\n]*", re.M)
# `numpy: 1.23.4`, `- Sphinx version: 4.0.2`, `zarr==2.13.3`, `cupy: None`, and after a single
# name `attrs   21.2.0` or `Python 3.9.5 (main, ...)`: a dotted version (or None) and at most
# an interpreter's build note after it. Lines may end in "\r" (issues often come with CRLF).
_VERSION_VALUE = r"(?:\*\*)?(?:v?\d+(?:\.\d+)+[\w.+\-]*|None)(?:\*\*)?(?:[ \t]*[|(][^\n]*)?[ \t\r]*$"
_VERSION_LINE = re.compile(
    r"^[ \t]*(?:[-*+][ \t]+)?(?:\*\*)?(?:"
    r"[A-Za-z][\w.\-]*(?:[ \t]+[A-Za-z][\w.\-]*){0,2}(?:\*\*)?[ \t]*(?::|==|>=|~=)[ \t]*"
    r"|[A-Za-z][\w.\-]*[ \t]+"
    r")" + _VERSION_VALUE,
    re.M,
)

# The template's own labels on a line of their own: `### What happened?`, `**Environment info**`.
# A heading holding code (a name with `_`, `.`, `(` or backticks) is the reporter's and stays.
_HEADING = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]+([^\n]*?)|\*\*([^*\n]+)\*\*:?|__([^_\n]+)__:?)[ \t\r]*$", re.M
)
_CODE_MARK = re.compile(r"[_.(`/\\]|[a-z][A-Z]")
HEADING_WORDS = 6
# The machine the reporter ran on (xarray's `show_versions()`, sphinx's "Environment info").
_MACHINE_LINE = re.compile(
    r"^[ \t]*(?:[-*+][ \t]+)?(?:OS|OS-release|operating system|platform|machine|processor|"
    r"byteorder|LANG|LOCALE|LC_ALL|python-bits|extra tools|browser)[ \t]*:[^\n]*$",
    re.M | re.I,
)


def _template_label(match: re.Match) -> str:
    label = next(group for group in match.groups() if group is not None)
    if len(label.split()) <= HEADING_WORDS and not _CODE_MARK.search(label):
        return ""
    return match.group(0)


def strip_boilerplate(text: str) -> str:
    """The issue without template comments, checklists and installed-version listings; its
    first line (the title) is kept as written."""
    title, newline, body = text.partition("\n")
    body = _HTML_COMMENT.sub("", body)
    # Template labels and checklists are markdown: inside a code block `# ...` is a comment.
    parts, start = [], 0
    for fence in _FENCE.finditer(body):
        parts += [_strip_prose(body[start : fence.start()]), fence.group(0)]
        start = fence.end()
    body = "".join([*parts, _strip_prose(body[start:])])
    return title + newline + _VERSION_LINE.sub("", body)


def _strip_prose(prose: str) -> str:
    prose = _CHECKLIST_LINE.sub("", prose)
    return _MACHINE_LINE.sub("", _HEADING.sub(_template_label, prose))
