import os
import sys

from fgnn.cli import main

code = main()
if int(os.environ.get("WORLD_SIZE", "1") or 1) > 1:
    # a torchrun worker whose work is done (files closed, process group destroyed): leave without
    # the interpreter's and C++'s exit-time teardown, where a gloo worker was seen to abort
    # ("terminate called without an active exception", SIGABRT) after a finished run
    # (docs/distributed.md, "Faults")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
sys.exit(code)
