import json

from tests.workers.pipeline.context.localize.trees import filler_module, write_tree
from workers.pipeline.context.localize import RankWeights, gather_evidence, localize, rank_files
from workers.pipeline.context.localize.rank import combine_evidence

SERVICE = {
    "shop/__init__.py": "",
    "shop/cart.py": filler_module("cart") + "\ndef add_item(cart, item):\n    cart.append(item)\n",
    "shop/payment.py": filler_module("payment") + "\ndef charge_card(card, amount):\n"
    "    if amount < 0:\n        raise ValueError('negative amount')\n",
    "shop/inventory.py": filler_module("inventory")
    + "\nclass StockLedger:\n    def reserve(self, sku):\n"
    "        return sku\n",
    "shop/shipping/rates.py": filler_module("rates")
    + "\ndef quote_rate(weight):\n    return weight * 2\n",
    "shop/shipping/__init__.py": "",
    "tests/test_payment.py": "from shop.payment import charge_card\n\n"
    "def test_charge_card_negative_amount():\n    charge_card(None, -1)\n",
    "docs/payment.md": "# Payment\nCharging a card with a negative amount raises an error.\n",
    "README.md": "A shop.\n",
}


def test_a_traceback_points_at_its_last_project_frame(tmp_path):
    write_tree(tmp_path, SERVICE)
    issue = """Checkout crashes
Traceback (most recent call last):
  File "/srv/venv/lib/python3.11/site-packages/shop/cart.py", line 9, in add_item
  File "/srv/venv/lib/python3.11/site-packages/shop/payment.py", line 12, in charge_card
ValueError: negative amount
"""
    assert localize(tmp_path, issue, 3)[0] == "shop/payment.py"


def test_a_dotted_module_path_in_prose_is_found(tmp_path):
    write_tree(tmp_path, SERVICE)
    assert localize(
        tmp_path, "Wrong totals\nThe numbers from shop.shipping.rates look off.", 1
    ) == ["shop/shipping/rates.py"]


def test_a_blob_url_with_a_line_anchor_is_found(tmp_path):
    write_tree(tmp_path, SERVICE)
    issue = (
        "Odd behaviour\nLook at https://github.com/acme/shop/blob/main/shop/inventory.py#L9 "
        "which seems wrong."
    )
    assert localize(tmp_path, issue, 1) == ["shop/inventory.py"]


def test_an_identifier_found_only_in_code_leads_to_its_definition(tmp_path):
    write_tree(tmp_path, SERVICE)
    # No path, file or module is named: only the class the reporter used.
    issue = "Reservations double count\nCalling `StockLedger().reserve(sku)` twice counts it twice."
    assert localize(tmp_path, issue, 1) == ["shop/inventory.py"]


def test_tests_and_docs_are_demoted_below_the_code_they_describe(tmp_path):
    write_tree(tmp_path, SERVICE)
    issue = (
        "payment: charge_card accepts a negative amount\nCharging a card with a negative amount."
    )
    ranked = localize(tmp_path, issue, 10)
    assert ranked[0] == "shop/payment.py"
    # Their paths match the issue as well as the code's does; the kind decides.
    assert ranked.index("tests/test_payment.py") > 0
    assert ranked.index("docs/payment.md") > 0


def test_vendored_copies_lose_to_the_project_s_own_code(tmp_path):
    write_tree(
        tmp_path,
        {
            "app/http.py": "def fetch_url(url):\n    return url\n",
            "app/vendor/requests/http.py": "def fetch_url(url):\n    return url  # fetch_url copy\n",
        },
    )
    assert localize(tmp_path, "http fetch_url hangs forever\nfetch_url never returns.", 2) == [
        "app/http.py",
        "app/vendor/requests/http.py",
    ]


def test_a_tree_without_python_is_ranked_with_tree_sitter_definitions(tmp_path):
    write_tree(
        tmp_path,
        {
            "web/src/cart.js": "export function addToCart(item) {\n  return item;\n}\n",
            "web/src/user.js": "export class Account {\n  rename(name) { return name; }\n}\n",
            "server/main.go": "package main\n\nfunc handleCheckout() {}\n\nfunc main() {}\n",
            "server/auth.go": "package main\n\ntype TokenStore struct{}\n\nfunc (t *TokenStore) Rotate() {}\n",
        },
    )
    assert localize(tmp_path, "Account.rename drops the last letter\n", 1) == ["web/src/user.js"]
    assert localize(tmp_path, "Crash in `handleCheckout`\nPanics on an empty basket.", 1) == [
        "server/main.go"
    ]
    assert localize(tmp_path, "TokenStore Rotate leaks\n", 1) == ["server/auth.go"]


def test_an_issue_without_evidence_gets_the_project_s_source_files(tmp_path):
    write_tree(tmp_path, SERVICE)
    for issue in ("", "Crash on login\nTraceback ..."):
        result = localize(tmp_path, issue, 3)
        assert result == ["shop/__init__.py", "shop/cart.py", "shop/inventory.py"]
    assert localize(tmp_path, "anything", 0) == []
    assert localize(tmp_path / "shop/shipping", "", 5) == ["__init__.py", "rates.py"]


def test_binary_and_huge_files_do_not_break_ranking(tmp_path):
    huge = "\n".join(f"def filler_{i}(x):\n    return x + {i}\n" for i in range(60_000))
    huge += "\ndef late_unique_marker():\n    return 0\n"
    write_tree(
        tmp_path,
        {
            **SERVICE,
            "assets/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00charge_card",
            "shop/huge.py": huge,
        },
    )
    assert len(huge) > 1 << 20
    ranked = localize(tmp_path, "charge_card accepts a negative amount\n", 10)
    assert ranked[0] == "shop/payment.py"
    assert "assets/logo.png" not in ranked
    # Beyond the per-file read limit a file's tail is not indexed, but the file still ranks by path.
    assert "shop/huge.py" in localize(tmp_path, "shop/huge.py is slow to import\n", 3)


def test_the_same_input_gives_the_same_output(tmp_path):
    write_tree(tmp_path, SERVICE)
    issue = "cart and payment disagree\nadd_item then charge_card gives the wrong amount"
    first = localize(tmp_path, issue, 10)
    assert all(localize(tmp_path, issue, 10) == first for _ in range(3))
    assert json.dumps(first)


def test_each_signal_can_be_switched_off_and_changes_the_evidence(tmp_path):
    write_tree(tmp_path, SERVICE)
    issue = "StockLedger reserve fails\nsee shop/inventory.py"
    evidence = gather_evidence(tmp_path, issue)
    assert evidence.signals["mention"]["shop/inventory.py"] > 0
    assert evidence.signals["symbol"]["shop/inventory.py"] > 0
    only_paths = RankWeights(mention=0, symbol=0, content=0, title=0, path=1)
    ranked = combine_evidence(evidence, only_paths)
    assert all(r.signals["path"] > 0 for r in ranked)
    full = rank_files(tmp_path, issue)
    assert full[0].path == "shop/inventory.py"
    assert set(full[0].signals) == {"mention", "symbol", "content", "title", "path", "graph"}
