"""What machine the numbers were taken on: CPU model, cores, memory, load."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Machine:
    cpu_model: str
    nproc: int
    mem_total_gb: float
    kernel: str
    load: tuple[float, float, float]


def cpu_model(cpuinfo: str) -> str:
    for line in cpuinfo.splitlines():
        if line.lower().startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def mem_total_gb(meminfo: str) -> float:
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / (1024 * 1024)
    return 0.0


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def describe() -> Machine:
    return Machine(
        cpu_model=cpu_model(_read("/proc/cpuinfo")),
        nproc=os.cpu_count() or 1,
        mem_total_gb=mem_total_gb(_read("/proc/meminfo")),
        kernel=platform.release(),
        load=load_average(),
    )
