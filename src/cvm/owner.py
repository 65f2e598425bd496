"""The process that owns a run, a queued job or a folder being written.

A run records its owner (process id and the moment the system started that process) when it
starts. When the owner is gone, nobody will finish the run: the next process to open the
workspace marks it ``interrupted``. The start time is what tells a live owner from a new
process that happens to have been given the same id after the owner died.

On Linux the start time is read from ``/proc`` (with the boot id, so that ids from before a
restart of the machine never match). Elsewhere only the current process can be recognised;
any other owner of a run counts as gone — the workspace file is locked by the process that
holds it for writing, so a run recorded by another process cannot still be going on while
this process holds the file.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Owner"]

_PROC = Path("/proc")


def _boot_id() -> str:
    try:
        return (_PROC / "sys" / "kernel" / "random" / "boot_id").read_text().strip()
    except OSError:
        return ""


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot, or None when there is no such
    process (or the system does not say)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: fields after the last ')'
    fields = stat[stat.rindex(")") + 2:].split()
    return fields[19]  # field 22 of the line: starttime


@dataclass(frozen=True)
class Owner:
    """A process: its id and its start time as the system records it (empty when unknown)."""

    pid: int
    started: str

    @classmethod
    def current(cls) -> "Owner":
        return cls.of(os.getpid()) or cls(os.getpid(), "")

    @classmethod
    def of(cls, pid: int) -> "Owner | None":
        """The process now running under ``pid``, or None when there is none (or, off Linux,
        when it is not this process)."""
        ticks = _start_ticks(pid)
        if ticks is not None:
            return cls(pid, f"{_boot_id()}/{ticks}")
        if pid == os.getpid():
            return cls(pid, "")
        return None

    def alive(self) -> bool:
        """Whether this very process is still running (not merely a process with its id)."""
        return Owner.of(self.pid) == self

    @property
    def tag(self) -> str:
        """A short name for the process, safe in a file name: its id and a digest of its start."""
        return f"{self.pid}-{hashlib.sha1(self.started.encode()).hexdigest()[:8]}"

    @classmethod
    def alive_tag(cls, tag: str) -> bool:
        """Whether the process a :attr:`tag` names is still running."""
        pid, _, _digest = tag.partition("-")
        if not pid.isdigit():
            return False
        now = cls.of(int(pid))
        return now is not None and now.tag == tag

    def __str__(self) -> str:
        return f"process {self.pid}"
