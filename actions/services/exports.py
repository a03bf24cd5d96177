"""The background exports' writes: a job asked for (or the same export's found again), a
failed job relaunched."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..jobs import LIVE, ExportJob, JobStatus
from ..tasks import build_export


def _enqueue(job: ExportJob) -> None:
    """Queued once the job's row is committed, so that the worker always finds it."""

    def enqueue():
        result = build_export.enqueue(str(job.pk))
        ExportJob.objects.filter(pk=job.pk).update(task_id=str(result.id))

    transaction.on_commit(enqueue)


def export_job_request(
    *, kind: str, key: str, query: str, audience: str, user, file_name: str, content_type: str
) -> ExportJob:
    """The job of this export (`key`: kind, filters, audience, data version): the one already
    waiting, running, ready or failed if there is one (a ready file past its time is marked
    expired first), else a new one, queued for the worker."""
    ExportJob.objects.filter(key=key).expired(timezone.now()).update(
        status=JobStatus.EXPIRED, content=None
    )
    existing = ExportJob.objects.without_file().filter(key=key, status__in=LIVE).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            job = ExportJob.objects.create(
                kind=kind,
                key=key,
                query=query,
                audience=audience,
                requested_by=user if user.is_authenticated else None,
                file_name=file_name,
                content_type=content_type,
            )
            _enqueue(job)
    except IntegrityError:
        # Asked at the same moment by someone else (the constraint keeps one per key): theirs.
        return ExportJob.objects.without_file().get(key=key, status__in=LIVE)
    return job


@transaction.atomic
def export_job_retry(*, job: ExportJob) -> bool:
    """Relaunches a failed job (the caller checked `job.may_retry(user)`); False if it was no
    longer failed (relaunched meanwhile, say)."""
    relaunched = ExportJob.objects.filter(pk=job.pk, status=JobStatus.FAILED).update(
        status=JobStatus.WAITING,
        error="",
        phase="",
        done=0,
        started_at=None,
        finished_at=None,
        heartbeat_at=None,
    )
    if relaunched:
        _enqueue(job)
    return bool(relaunched)
