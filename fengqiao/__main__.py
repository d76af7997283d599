import os
import sys

from fengqiao.cli import QUICK_EXIT, main

status = main()
if QUICK_EXIT[0]:
    # `fengqiao classify` is done once its output is written: the interpreter's teardown
    # would free the tokenizer's dictionary, the models and the caches object by object and
    # collect them (a quarter of the command's start-up CPU, on every run). Output is
    # flushed first; no atexit handler of ours needs to run.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(status or 0))
raise SystemExit(status)
