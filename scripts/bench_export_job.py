"""The full recap PDF built by the background worker (issue 14), measured once.

Usage: DATABASE_URL=<a database holding the demo's 10,000 fiches> python scripts/bench_export_job.py
Asks for the recap PDF of every published fiche as the download view does (a job), then runs
the real worker (`manage.py db_worker --batch`) in its own process: its wall time, its peak
memory (ru_maxrss of the child), the job's progress as the page would have shown it (sampled
every 5 s), the file's pages and size. Prints Markdown lines for docs/benchmarks.md.
"""

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contrat.settings.dev")

import django  # noqa: E402

django.setup()

from io import BytesIO  # noqa: E402

from django.contrib.auth.models import AnonymousUser  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from actions.jobs import ExportJob  # noqa: E402
from actions.models import FicheAction  # noqa: E402
from actions.services.exports import export_job_request  # noqa: E402
from contrat.downloads import download_key  # noqa: E402


def main():
    fiches = FicheAction.objects.published().count()
    key = download_key("recap-pdf", [], audience="public")
    ExportJob.objects.filter(key=key).delete()
    job = export_job_request(
        kind="recap-pdf",
        key=key,
        query="",
        audience="public",
        user=AnonymousUser(),
        file_name="recap-bench.pdf",
        content_type="application/pdf",
    )
    started = time.monotonic()
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "-v", "0"],
        cwd=ROOT,
    )
    samples = []
    while worker.poll() is None:
        time.sleep(5)
        state = ExportJob.objects.without_file().get(pk=job.pk)
        samples.append(
            f"{time.monotonic() - started:.0f} s : {state.phase} {state.done}/{state.total}"
        )
        print(samples[-1], flush=True)
    elapsed = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    job = ExportJob.objects.get(pk=job.pk)
    pages = len(PdfReader(BytesIO(bytes(job.content))).pages) if job.content else 0
    print(f"fiches={fiches} status={job.status} error={job.error!r}")
    print(
        f"| PDF récapitulatif, {fiches} fiches, par le processus de fond | {elapsed:.0f} s "
        f"(tâche : {(job.finished_at - job.started_at).total_seconds():.0f} s) | {peak:.0f} Mo "
        f"| {job.size / 1024 / 1024:.1f} Mio | {pages} pages |"
    )
    print("Progression relevée :", "; ".join(samples[:: max(1, len(samples) // 12)]))


if __name__ == "__main__":
    main()
