"""Long calls release the GIL and stop cleanly on Ctrl-C."""

import signal
import subprocess
import sys
import threading
import time

import spot


def test_fit_releases_the_gil(day):
    done = threading.Event()
    ticks = 0

    def fit():
        spot.FlowModel(topics=10, iterations=30).fit(day.flows)
        done.set()

    t = threading.Thread(target=fit)
    t.start()
    while not done.is_set():
        ticks += 1
    t.join()
    # With the GIL held for the whole fit, this thread could not have counted meanwhile.
    assert ticks > 10_000


def test_sigint_interrupts_a_fit():
    # A real SIGINT, sent from another thread while the record pass runs without the GIL over many
    # small batches. (The EM engine's per-iteration callback cannot stop it, see
    # spot-model's TopicModel::fit, so a Ctrl-C during training is honoured when training ends.)
    code = (
        "import os, signal, sys, threading, pyarrow as pa, spot\n"
        "day = spot.demo.flows(seed=1, workstations=20)\n"
        "flows = pa.Table.from_batches(day.flows.to_batches(max_chunksize=50))\n"
        "started = threading.Event()\n"
        "def on(event, *args):\n"
        "    started.set()\n"
        "threading.Thread(target=lambda: (started.wait(), os.kill(os.getpid(), signal.SIGINT))).start()\n"
        "try:\n"
        "    spot.FlowModel(topics=10, iterations=20).fit(flows, progress=on)\n"
        "    print('finished', flush=True)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True)\n"
        "    sys.exit(3)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 3, p.stderr
    assert "interrupted" in p.stdout
