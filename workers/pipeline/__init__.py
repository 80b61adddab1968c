"""The fix pipeline, one subpackage per stage; `run.py` orchestrates them (see README.md here).

context (snapshot → localize → pack) → prompts → model → edits (parse → apply → validate → diff)
→ publish. `proposal.py` holds what a computed fix is; `languages.py` is the one table of
languages that context and edits share.
"""
