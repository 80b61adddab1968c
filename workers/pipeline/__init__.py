"""The fix pipeline: plain stages over typed data (gather, localize, pack, propose, edits, apply, validate, publish)."""
