"""Peak memory of the streamed CSV and JSON (issue 14), each case in its own process.

Usage: DATABASE_URL=<the demo's 10,000 fiches> python scripts/bench_stream.py
Test settings (DEBUG off). Prints, for 1,000 and 10,000 fiches, the bytes sent, the time and
the process's peak resident memory (VmHWM of /proc/self/status), Django included, while the
stream is consumed and dropped.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import os, sys, time
sys.path.insert(0, {root!r})
os.environ["DJANGO_SETTINGS_MODULE"] = "contrat.settings.test"
import django
django.setup()
from actions import exports
from actions.models import FicheAction
stream = getattr(exports, "stream_actions_" + {kind!r})
fiches = FicheAction.objects.published().for_listing()[:{count}]
start = time.monotonic()
sent = sum(len(piece) for piece in stream(fiches))
elapsed = time.monotonic() - start
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(f"{kind};{count};{{sent}};{{elapsed:.2f}};{{int(hwm) // 1024}}")
"""

for kind in ("csv", "json"):
    for count in (1000, 10000):
        code = CHILD.format(root=str(ROOT), kind=kind, count=count)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
        print(out.stdout.strip() or out.stderr[-2000:], flush=True)
