"""Stage timing as a port: the pipeline names its stages, whoever runs it decides what to record."""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager
from enum import StrEnum
from typing import Protocol


class Stage(StrEnum):
    SNAPSHOT = "snapshot"
    LOCALIZE = "localize"
    PACK = "pack"
    MODEL = "model"
    APPLY = "apply"
    PUBLISH = "publish"


class StageTimer(Protocol):
    """`with timer(Stage.PACK): ...` times one stage; the Celery worker records a histogram."""

    def __call__(self, stage: Stage) -> AbstractContextManager[object]: ...


def untimed(stage: Stage) -> AbstractContextManager[object]:
    """The timer of the CLI and of tests that measure nothing."""
    return contextlib.nullcontext()
