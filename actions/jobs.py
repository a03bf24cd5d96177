"""A long export built in the background (ExportJob): what was asked, by whom, how far it got,
and the file, kept in the database so that every web machine can serve it."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from contrat.formats import NBSP


class JobStatus(models.TextChoices):
    WAITING = "attente", "en attente"
    RUNNING = "en-cours", "en cours"
    READY = "pret", "prêt"
    FAILED = "echec", "échec"
    EXPIRED = "expire", "expiré"


# A job that still holds (or will hold) its export's file: at most one per key.
LIVE = (JobStatus.WAITING, JobStatus.RUNNING, JobStatus.READY, JobStatus.FAILED)
UNFINISHED = (JobStatus.WAITING, JobStatus.RUNNING)

# The steps a job goes through (actions/tasks.py), as its page names them.
PHASE_READ = "Lecture des fiches"
PHASE_PREPARE = "Préparation de la mise en page"
PHASE_ROWS = "Écriture des lignes"
PHASE_LAYOUT = "Mise en page"
PHASE_WRITE = "Écriture du fichier"
PHASE_DONE = "Terminé"


def _number(value: int) -> str:
    return f"{value:,}".replace(",", NBSP)


# How long an expired or failed job's page still says what became of it.
KEEP_DAYS = 7

STALE_MESSAGE = (
    "Le traitement s'est interrompu sans finir (le processus de fond a été arrêté ou a "
    "redémarré). Relancez-le : il reprendra depuis le début."
)


class ExportJobQuerySet(models.QuerySet):
    def without_file(self):
        """Everything but the file's bytes: what the progress page and its polling read."""
        return self.defer("content")

    def expired(self, now=None):
        return self.filter(status=JobStatus.READY, expires_at__lte=now or timezone.now())

    def stale(self, now=None):
        """Running jobs whose worker has said nothing for EXPORT_JOB_STALE_SECONDS: dead."""
        limit = (now or timezone.now()) - timedelta(seconds=settings.EXPORT_JOB_STALE_SECONDS)
        return self.filter(status=JobStatus.RUNNING, heartbeat_at__lt=limit)

    def fail_stale(self, now=None) -> int:
        """Marks dead workers' jobs failed (retryable): django-tasks' database backend leaves
        a task its worker died in as RUNNING for good, and runs it again never."""
        return self.stale(now).update(
            status=JobStatus.FAILED, error=STALE_MESSAGE, finished_at=now or timezone.now()
        )

    def purge(self, now=None) -> dict[str, int]:
        """Expired files dropped (their job stays, saying it expired, for KEEP_DAYS), dead
        jobs failed, and jobs finished more than KEEP_DAYS ago deleted."""
        now = now or timezone.now()
        return {
            "expirés": self.expired(now).update(status=JobStatus.EXPIRED, content=None),
            "interrompus": self.fail_stale(now),
            "supprimés": self.filter(
                status__in=(JobStatus.EXPIRED, JobStatus.FAILED),
                finished_at__lt=now - timedelta(days=KEEP_DAYS),
            ).delete()[0],
        }


class ExportJob(models.Model):
    # Made from the content, not content: saving one changes no data version.
    not_content = True

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField("type d'export", max_length=20)
    query = models.TextField("filtres (chaîne de requête)", blank=True)
    audience = models.CharField("public du fichier", max_length=40)
    key = models.CharField("clé de l'export", max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="demandé par",
    )
    status = models.CharField(
        "état", max_length=10, choices=JobStatus.choices, default=JobStatus.WAITING
    )
    phase = models.CharField("étape", max_length=200, blank=True)
    done = models.PositiveIntegerField("fait", default=0)
    total = models.PositiveIntegerField("à faire", default=0)
    fiches = models.PositiveIntegerField("fiches", default=0)
    file_name = models.CharField("nom du fichier", max_length=200)
    content_type = models.CharField(max_length=100)
    content = models.BinaryField("fichier", null=True, blank=True)
    size = models.PositiveBigIntegerField("taille (octets)", default=0)
    error = models.TextField("erreur", blank=True)
    task_id = models.CharField("tâche django-tasks", max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField("essais", default=0)
    created_at = models.DateTimeField("demandé le", default=timezone.now)
    started_at = models.DateTimeField("commencé le", null=True, blank=True)
    heartbeat_at = models.DateTimeField("dernier signe du processus", null=True, blank=True)
    finished_at = models.DateTimeField("fini le", null=True, blank=True)
    expires_at = models.DateTimeField("expire le", null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        verbose_name = "export en arrière-plan"
        verbose_name_plural = "exports en arrière-plan"
        ordering = ["-created_at"]
        constraints = [
            # The same export (kind, filters, audience, data version) is built once: a second
            # request finds this job, whatever its state, until its file expires.
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(status__in=LIVE),
                name="exportjob_one_live_job_per_key",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="exportjob_status_exp")]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("exports:detail", kwargs={"pk": self.pk})

    @property
    def unfinished(self) -> bool:
        return self.status in UNFINISHED

    def is_expired(self, now=None) -> bool:
        if self.status == JobStatus.EXPIRED:
            return True
        return self.status == JobStatus.READY and self.expires_at <= (now or timezone.now())

    def is_stale(self, now=None) -> bool:
        limit = (now or timezone.now()) - timedelta(seconds=settings.EXPORT_JOB_STALE_SECONDS)
        return self.status == JobStatus.RUNNING and (self.heartbeat_at or self.created_at) < limit

    def visible_to(self, user, scope: str) -> bool:
        """A public file's job is anyone's who has its address (an unguessable id); a job
        whose file holds unpublished fiches, only its requester's, staff's, and of those who
        see the same unpublished fiches (the same audience: `scope`, the visitor's
        FicheAction.objects.unpublished_scope)."""
        if self.audience == "public":
            return True
        if not user.is_authenticated:
            return False
        if user.is_superuser or self.requested_by_id == user.pk:
            return True
        return scope == self.audience

    def may_retry(self, user, scope: str) -> bool:
        """Relaunch a failed job: its requester, or staff who may see it (an anonymous
        visitor's public job: anyone who sees it, since nobody else could)."""
        if not self.visible_to(user, scope):
            return False
        if self.requested_by_id is None:
            return True
        return user.is_authenticated and (user.pk == self.requested_by_id or user.is_staff)

    def message(self) -> str:
        """One sentence saying where the job is, for its page and the screen reader's."""
        if self.is_expired():
            return "Ce document a expiré : son fichier n'est plus gardé."
        if self.status == JobStatus.READY:
            return "Le document est prêt."
        if self.status == JobStatus.FAILED:
            return "La fabrication du document a échoué."
        if self.status == JobStatus.WAITING:
            return "En attente : le document sera fabriqué dès qu'un processus de fond sera libre."
        if not self.total:
            return f"En cours : {(self.phase or PHASE_READ).lower()}…"
        if self.phase == PHASE_LAYOUT:
            return (
                f"En cours : mise en page, page {_number(self.done)} sur environ "
                f"{_number(self.total)}."
            )
        return f"En cours : {self.phase.lower()}, {_number(self.done)} sur {_number(self.total)}."

    def state(self) -> dict:
        """What the progress page shows, as its polling endpoint returns it."""
        return {
            "statut": self.status,
            "termine": not self.unfinished,
            "message": self.message(),
            "etape": self.phase,
            "fait": self.done,
            "total": self.total,
            "erreur": self.error,
            "fichier": reverse("exports:file", kwargs={"pk": self.pk})
            if self.status == JobStatus.READY
            else None,
        }
