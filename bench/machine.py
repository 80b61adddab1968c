"""The machine a benchmark ran on, as every result file records it."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def describe_machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((x.split(":", 1)[1].strip() for x in cpuinfo.splitlines()
                  if x.startswith("model name")), platform.processor())
    mem = next(x.split()[1] for x in Path("/proc/meminfo").read_text().splitlines()
               if x.startswith("MemTotal"))
    return {"nproc": os.cpu_count(), "cpu": model, "mem_gib": round(int(mem) / 2**20, 1),
            "kernel": platform.release(), "python": platform.python_version(),
            "load_avg": os.getloadavg()}
