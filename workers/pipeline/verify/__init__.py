"""Verify: run the repository's tests on the unmodified tree and on a candidate, in the sandbox.

`plan` decides what to run (`.github/iquest.yml`'s `test:`, or pytest on the tests related to
the change); `results` reads per-test outcomes from pytest's summary; `verify` runs baseline
(cached per tree and test set) and candidate and compares them; `packages` runs that once per
package the fix touches (a folder whose `.iquest.yml` sets `test:`), from the package's folder.
"""
