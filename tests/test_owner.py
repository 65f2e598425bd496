"""The owner of a run: a process told apart from a later one given the same id, by its start
time read from /proc (with the boot id); off Linux, only the current process is known."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cvm import owner as owner_module
from cvm.owner import Owner

#: /proc/<pid>/stat of a process whose command name holds spaces and parentheses; field 22
#: (the start time in clock ticks) is 987654, field 23 (the memory size) 12345678.
STAT = ("4242 (a) b (c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 12345678 "
        "300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n")


def _proc(root: Path, boot_id: str | None) -> Path:
    (root / "4242").mkdir(parents=True)
    (root / "4242" / "stat").write_text(STAT)
    if boot_id is not None:
        (root / "sys" / "kernel" / "random").mkdir(parents=True)
        (root / "sys" / "kernel" / "random" / "boot_id").write_text(boot_id + "\n")
    return root


def test_the_start_time_is_field_22_after_the_command_name(tmp_path, monkeypatch):
    monkeypatch.setattr(owner_module, "_PROC", _proc(tmp_path / "proc", "b00t-1d"))
    assert Owner.of(4242) == Owner(4242, "b00t-1d/987654")
    assert Owner(4242, "b00t-1d/987654").alive() is True
    assert Owner(4242, "b00t-1d/987653").alive() is False
    assert Owner.of(4243) is None  # no such process
    assert Owner(4243, "b00t-1d/987654").alive() is False


def test_without_a_boot_id_the_start_time_alone_is_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(owner_module, "_PROC", _proc(tmp_path / "proc", None))
    assert Owner.of(4242) == Owner(4242, "/987654")


def test_without_proc_only_the_current_process_is_known(tmp_path, monkeypatch):
    monkeypatch.setattr(owner_module, "_PROC", tmp_path / "no-proc")
    me = os.getpid()
    assert Owner.current() == Owner(me, "")
    assert Owner.of(me) == Owner(me, "")
    assert Owner.current().alive() is True
    assert Owner.of(me + 1) is None
    assert Owner(me + 1, "").alive() is False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_a_real_process_is_known_by_its_start_until_it_ends(tmp_path):
    # a command name with spaces and parentheses, as the kernel shows it in /proc/<pid>/stat
    python = tmp_path / "x) 1 2 (y"
    python.symlink_to(sys.executable)
    child = subprocess.Popen([str(python), "-c", "import time; time.sleep(120)"])
    try:
        stat = Path(f"/proc/{child.pid}/stat").read_text()
        assert f"({python.name})" in stat
        ticks = re.fullmatch(r"\d+ \(.*\) (.*)", stat, re.S).group(1).split()[19]
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        found = Owner.of(child.pid)
        assert found == Owner(child.pid, f"{boot}/{ticks}")
        assert found.alive() is True
        assert Owner(child.pid, f"{boot}/{int(ticks) + 1}").alive() is False
        assert Owner.alive_tag(found.tag) is True
    finally:
        child.kill()
        child.wait()
    assert found.alive() is False
    assert Owner.alive_tag(found.tag) is False
    me = Owner.current()
    assert me.pid == os.getpid() and me.started.startswith(boot + "/")
    assert me == Owner.of(os.getpid()) and me.alive() is True


def test_tags_name_the_process_and_a_digest_of_its_start():
    # sha1("b00t-1d/987654") starts 7671fb43
    assert Owner(4242, "b00t-1d/987654").tag == "4242-7671fb43"
    me = Owner.current()
    assert Owner.alive_tag(me.tag) is True
    assert Owner.alive_tag(f"{me.pid}-00000000") is False  # the same id, another start
    assert Owner.alive_tag("abc-" + me.tag.split("-")[1]) is False
    assert Owner.alive_tag("") is False


def test_an_owner_is_a_value():
    owner = Owner(12, "b/3")
    assert str(owner) == "process 12"
    assert {owner, Owner(12, "b/3")} == {owner}
    with pytest.raises(dataclasses.FrozenInstanceError):
        owner.pid = 13
