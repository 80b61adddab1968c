# pytest only honours pytest_plugins in the rootdir conftest; add further fixture plugins here.
pytest_plugins = [
    "tests.fakes.github.fixtures",
    "tests.support.sandbox",
    "tests.support.redis_server",
    "tests.support.receiver",
    "tests.support.worker",
    "tests.support.model",
    "tests.support.postgres",
]
