"""The JSON form of the edit format: read beside the text forms, same edits, clear problems."""

from __future__ import annotations

import json

from workers.pipeline.edits import parse_response, plan_edits
from workers.pipeline.edits.json_form import EDIT_SCHEMA, to_json_reply
from workers.pipeline.edits.types import SearchReplaceEdit

REPLY = {
    "root_cause": "add subtracts.",
    "edits": [
        {"path": "calc.py", "search": "    return a - b", "replace": "    return a + b\n"},
        {"path": "tests/test_calc.py", "search": "",
         "replace": "from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"},
    ],
    "tests": "pytest tests/test_calc.py",
}


def test_a_json_reply_parses_to_search_replace_edits() -> None:
    parsed = parse_response(json.dumps(REPLY))
    assert parsed.problems == []
    assert parsed.root_cause == "add subtracts." and parsed.tests == "pytest tests/test_calc.py"
    assert parsed.edits[0] == SearchReplaceEdit("calc.py", "    return a - b\n",
                                                "    return a + b\n", line=1)
    assert parsed.edits[1].search == "" and parsed.edits[1].path == "tests/test_calc.py"


def test_a_fenced_json_reply_after_reasoning_is_read_too() -> None:
    text = "<think>\nthe sign\n</think>\n```json\n" + json.dumps(REPLY) + "\n```\n"
    assert len(parse_response(text).edits) == 2


def test_the_edits_apply_like_the_text_forms(tmp_path) -> None:
    (tmp_path / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    plan = plan_edits(tmp_path, parse_response(json.dumps(REPLY)))
    changes = {c.path: c for c in plan.changes}
    assert b"return a + b" in changes["calc.py"].new
    assert changes["tests/test_calc.py"].old is None


def test_malformed_edits_are_problems_not_crashes() -> None:
    reply = {**REPLY, "edits": [{"path": "calc.py", "search": 3}, "nonsense"]}
    parsed = parse_response(json.dumps(reply))
    assert parsed.edits == [] and len(parsed.problems) == 2
    assert "needs string `path`, `search` and `replace`" in parsed.problems[0]
    assert parse_response(json.dumps({**REPLY, "edits": "x"})).problems


def test_json_that_is_not_the_form_is_read_as_text() -> None:
    parsed = parse_response('{"answer": 42}\n\ncalc.py\n```python\n<<<<<<< SEARCH\nx\n=======\ny\n'
                            '>>>>>>> REPLACE\n```\n')
    assert [e.path for e in parsed.edits] == ["calc.py"]


def test_the_schema_and_the_converter_agree() -> None:
    text = to_json_reply("why", [SearchReplaceEdit("a.py", "x\n", "y\n")], "run it")
    body = json.loads(text)
    assert set(body) == set(EDIT_SCHEMA["required"])
    assert set(body["edits"][0]) == set(EDIT_SCHEMA["properties"]["edits"]["items"]["required"])
