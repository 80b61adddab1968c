"""A generated Python repository of any size with one known bug, for cost tests and benchmarks.

`files` modules spread over packages of 50, each with a few small functions and a test file
for every tenth module; `billing/ledger.py` holds the bug the issue describes, and the model
reply fixes it with one SEARCH/REPLACE edit.
"""

from __future__ import annotations

TARGET = "billing/ledger.py"
LEDGER = '''"""Balances kept per account."""

from decimal import Decimal


def settle_balance(amount):
    # Rounds to one decimal place: cents are lost.
    return round(amount, 1)


def open_account(name):
    return {"name": name, "balance": Decimal("0")}
'''
ISSUE_TITLE = "settle_balance loses cents"
ISSUE_BODY = (
    "`settle_balance(1.25)` in billing/ledger.py returns 1.2 instead of 1.25, so invoices "
    "are off by a few cents.\n"
)
MODEL_REPLY = '''## Root cause
`settle_balance` rounds to one decimal place, so cents are lost.

## Changes
billing/ledger.py
```python
<<<<<<< SEARCH
    return round(amount, 1)
=======
    return round(amount, 2)
>>>>>>> REPLACE
```

## Tests
Check that `settle_balance(1.25) == 1.25`.
'''


def _module(index: int) -> str:
    functions = "\n\n".join(
        f"def step_{index}_{n}(values):\n"
        f"    \"\"\"Stage {n} of pipeline {index}.\"\"\"\n"
        f"    total = 0\n"
        f"    for value in values:\n"
        f"        total += value * {n + 1}\n"
        f"    return total - {index}\n"
        for n in range(4)
    )
    return f'"""Generated module {index}."""\n\nimport math\n\n\n{functions}'


def _test(index: int) -> str:
    return (
        f"from pkg_{index // 50}.mod_{index} import step_{index}_0\n\n\n"
        f"def test_step_{index}():\n    assert step_{index}_0([1]) == 1 - {index}\n"
    )


def generate_repo(files: int) -> dict[str, str]:
    """About `files` files: modules, their package markers and tests, and the ledger."""
    tree: dict[str, str] = {TARGET: LEDGER, "billing/__init__.py": "", "README.md": "# generated\n"}
    index = 0
    while len(tree) < files:
        package = f"pkg_{index // 50}"
        tree.setdefault(f"{package}/__init__.py", "")
        tree[f"{package}/mod_{index}.py"] = _module(index)
        if index % 10 == 0 and len(tree) < files:
            tree[f"tests/test_mod_{index}.py"] = _test(index)
        index += 1
    return tree
