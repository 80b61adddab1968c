"""The outcome ledger: every fix the app published and what people did with it next.

In: a `FixRecord` at publish time (kind, repository, pull request / review ids, verified,
when), and `OutcomeEvent`s reduced from webhooks (merged, closed, reopened, ready for review,
commits by people on the app's branch, a revert of the merge on the default branch, a
committed suggestion, a review requesting changes). Out: rows in a real database through
SQLAlchemy 2 (SQLite in the data folder by default, PostgreSQL by `IQUEST_DATABASE_URL`),
schema by Alembic migrations shipped with the package (`iquest db upgrade`), and the
`iquest report` numbers. Nothing here talks to GitHub, the model or Redis.
"""
