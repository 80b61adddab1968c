"""The handler tests' showcase repository, for the end-to-end outcome scenario."""

from tests.workers.handlers.conftest import showcase  # noqa: F401  (a fixture)
