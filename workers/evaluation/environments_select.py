"""Which environment backend `iquest eval` uses on this machine."""

from __future__ import annotations

from workers.config import Settings
from workers.evaluation.environment import Environments, WorkerPythonEnvironments


def environments_for(settings: Settings) -> Environments:
    return WorkerPythonEnvironments()
