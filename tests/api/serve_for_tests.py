"""Start `cvm serve` with one extra pipeline stage that tests can steer from outside the
server process: a file ``<workspace>.fail`` makes the stage fail (after every other stage has
run, so the run fails midway), ``<workspace>.slow`` holding a number makes it wait that many
seconds first. The stage uses the same extension point (:data:`cvm.pipeline.STAGES`) as
cvm's own stages."""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(argv: list[str]) -> None:
    from cvm.cli import main as cli
    from cvm.pipeline import STAGES, StageResult

    workspace = Path(argv[argv.index("--workspace") + 1])

    def steered(ctx, customers):
        slow = workspace.with_name(workspace.name + ".slow")
        if slow.exists():
            time.sleep(float(slow.read_text() or "1"))
        if workspace.with_name(workspace.name + ".fail").exists():
            raise RuntimeError("stage failed on purpose (test marker file)")
        return StageResult(customers)

    STAGES.append(("test_steering", steered))
    cli.main(argv, prog_name="cvm", standalone_mode=True)


if __name__ == "__main__":
    main(sys.argv[1:])
