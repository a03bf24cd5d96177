"""Background jobs (django-tasks, run by `manage.py db_worker`): the long exports, thin — they
call the same builders as the download views and report how far they got."""

import logging
import math
import time
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.http import QueryDict
from django.utils import timezone
from django_tasks import task

from contrat import progress
from contrat.current import current_contrat

from .filters import FicheFilter
from .jobs import (
    PHASE_DONE,
    PHASE_LAYOUT,
    PHASE_PREPARE,
    PHASE_READ,
    PHASE_ROWS,
    PHASE_WRITE,
    ExportJob,
    JobStatus,
)
from .models import FicheAction
from .pdf import build_recap_pdf
from .workbook import build_recap_xlsx

logger = logging.getLogger(__name__)

# A recap PDF page holds two or three generated fiches (335 pages for 1,000, 5,817 for 10,029):
# the layout's progress is told against this estimate, raised when the layout goes past it.
FICHES_PER_PAGE = 2
# The progress written at most this often (seconds): each write is one UPDATE.
PROGRESS_SECONDS = 0.5


class Progress:
    """Writes a job's phase, done and total to its row (its heartbeat too), every
    PROGRESS_SECONDS at most, and at each change of phase."""

    def __init__(self, job_id):
        self.job_id = job_id
        self.phase, self.done, self.total = "", 0, 0
        self.last = 0.0
        self.units = 0  # what the finished job counts: the PDF's pages, the workbook's rows

    def start(self, phase: str, total: int) -> None:
        self.phase, self.done, self.total = phase, 0, total
        self.flush(force=True)

    def __call__(self, count: int = 1) -> None:
        self.set(self.done + count)

    def set(self, done: int) -> None:
        self.done = done
        # An estimate (the PDF's pages) runs on rather than showing more than all done.
        self.total = max(self.total, done)
        if self.phase in (PHASE_LAYOUT, PHASE_ROWS):
            self.units = max(self.units, done)
        self.flush()

    def flush(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < PROGRESS_SECONDS:
            return
        self.last = now
        ExportJob.objects.filter(pk=self.job_id).update(
            phase=self.phase, done=self.done, total=self.total, heartbeat_at=timezone.now()
        )


class _LayoutListener(logging.Handler):
    """WeasyPrint says each page it lays out on its 'weasyprint.progress' logger: the PDF's
    progress, page by page, then the writing of the file."""

    def __init__(self, progress_: Progress, estimate: int):
        super().__init__(logging.INFO)
        self.progress = progress_
        self.estimate = estimate

    def emit(self, record):
        message = str(record.msg)
        if message.startswith("Step 1"):
            self.progress.start(PHASE_PREPARE, 0)  # HTML, styles, boxes: no count to give
        elif message.startswith("Step 5 - Creating layout - Page"):
            if self.progress.phase != PHASE_LAYOUT:
                self.progress.start(PHASE_LAYOUT, self.estimate)
            self.progress.set(int(record.args[0]))
        elif message.startswith("Step 6"):
            self.progress.start(PHASE_WRITE, 1)


def _fiches(job: ExportJob):
    """The export's fiches as its view filtered them: the same FilterSet on the same query,
    published fiches only unless its audience includes unpublished ones."""
    if job.audience == "public" or job.requested_by is None:
        fiches = FicheAction.objects.published()
    else:
        fiches = FicheAction.objects.visible_to(job.requested_by)
    return FicheFilter(QueryDict(job.query), queryset=fiches.for_listing())


def _build(job: ExportJob, filterset, progress_: Progress) -> bytes:
    fiches = filterset.qs
    if job.kind == "recap-xlsx":
        progress_.start(PHASE_ROWS, job.fiches)
        with progress.listening(progress_):
            return build_recap_xlsx(
                fiches,
                filters=filterset.describe(),
                contrat=current_contrat(),
                with_unpublished=job.audience != "public",
            )
    if job.kind == "recap-pdf":
        progress_.start(PHASE_READ, job.fiches)
        weasyprint_logger = logging.getLogger("weasyprint.progress")
        listener = _LayoutListener(progress_, math.ceil(job.fiches / FICHES_PER_PAGE) + 2)
        level, propagate = weasyprint_logger.level, weasyprint_logger.propagate
        weasyprint_logger.addHandler(listener)
        weasyprint_logger.setLevel(logging.INFO)
        weasyprint_logger.propagate = False  # its page-by-page lines are for this listener
        try:
            with progress.listening(progress_):
                return build_recap_pdf(
                    fiches, filters=filterset.describe(), contrat=current_contrat()
                )
        finally:
            weasyprint_logger.removeHandler(listener)
            weasyprint_logger.setLevel(level)
            weasyprint_logger.propagate = propagate
    raise ValueError(f"Type d'export inconnu : {job.kind}")


def failure_message(error: BaseException) -> str:
    """Why a job failed, in French, for its page (the traceback goes to the worker's log and
    to django-tasks' result)."""
    if isinstance(error, MemoryError):
        reason = "la mémoire du serveur n'a pas suffi pour un document de cette taille"
    elif error.__class__.__module__.startswith("django.db"):
        reason = "la base de données n'a pas répondu comme prévu"
    else:
        reason = f"erreur inattendue ({error.__class__.__name__})"
    return (
        f"La fabrication du document a échoué : {reason}. Relancez-la ; si l'échec se répète, "
        "affinez la sélection ou prévenez l'équipe du portail, qui en lira le détail dans le "
        "journal du processus de fond."
    )


def run_export_job(job_id) -> str:
    """Builds a waiting job's file and stores it (or its failure); returns the job's status.
    Another worker's job, or one no longer waiting, is left alone."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, status=JobStatus.WAITING).update(
        status=JobStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        done=0,
        error="",
    )
    if not claimed:
        return "ignoré"
    job = ExportJob.objects.without_file().select_related("requested_by").get(pk=job_id)
    progress_ = Progress(job.pk)
    try:
        filterset = _fiches(job)
        job.fiches = filterset.qs.count()
        ExportJob.objects.filter(pk=job.pk).update(fiches=job.fiches)
        content = _build(job, filterset, progress_)
    except Exception as error:
        logger.exception("Export %s (%s) en échec", job.pk, job.kind)
        ExportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=failure_message(error), finished_at=timezone.now()
        )
        raise
    finished = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.READY,
        content=content,
        size=len(content),
        phase=PHASE_DONE,
        done=progress_.units or job.fiches,
        total=progress_.units or job.fiches,
        heartbeat_at=finished,
        finished_at=finished,
        expires_at=finished + timedelta(hours=settings.EXPORT_JOB_HOURS),
    )
    # Each job sweeps the expired files away: no other scheduler needed (purger_exports too).
    ExportJob.objects.purge(finished)
    return JobStatus.READY


@task()
def build_export(job_id: str) -> str:
    """The task the worker runs: one background export (actions/jobs.py)."""
    return run_export_job(job_id)
