"""Start a `cvm` command (`serve`, `run` …) with one extra pipeline stage that tests can steer
from outside the process, through marker files beside the workspace:

- ``<workspace>.reached``: written by the stage when a run gets to it (the run is then under
  way: its tables are not stored yet);
- ``<workspace>.hold``: while it exists, the stage waits (the run stays in progress until the
  test removes it);
- ``<workspace>.slow`` holding a number: the stage waits that many seconds;
- ``<workspace>.fail``: the stage fails (after every other stage has run, so the run fails
  midway).

The stage is added the way a user adds one to every run of a command (:func:`cvm.stages.register`)."""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(argv: list[str]) -> None:
    from cvm.cli import main as cli
    from cvm.stages import Stage, register

    workspace = Path(argv[argv.index("--workspace") + 1])

    def marker(kind: str) -> Path:
        return workspace.with_name(workspace.name + "." + kind)

    class Steered(Stage):
        name = "test_steering"

        def fit(self, ctx, rows):
            marker("reached").write_text(str(time.time()))
            while marker("hold").exists():
                time.sleep(0.05)
            slow = marker("slow")
            if slow.exists():
                time.sleep(float(slow.read_text() or "1"))
            if marker("fail").exists():
                raise RuntimeError("stage failed on purpose (test marker file)")

    register(Steered())
    cli.main(argv, prog_name="cvm", standalone_mode=True)


if __name__ == "__main__":
    main(sys.argv[1:])
