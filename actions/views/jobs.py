"""A background export's pages (/exports/<id>/): its progress, polled as JSON by a small script
or refreshed without one, its file once ready, and the relaunch of a failed one."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views import View
from django.views.generic import DetailView

from ..jobs import ExportJob, JobStatus
from ..models import FicheAction
from ..services.exports import export_job_retry
from .mixins import VisibleFichesMixin

# Seconds between two refreshes of the page without JavaScript (its script polls every 2 s).
REFRESH_SECONDS = 5


def scope_of(user) -> str:
    return FicheAction.objects.unpublished_scope(user) if user.is_authenticated else ""


def visible_job(request, pk, *, with_file=False) -> ExportJob:
    """The job, if the visitor may see it (a 404 otherwise, as for a fiche it may not see); a
    dead worker's job found running is marked failed on the way."""
    jobs = ExportJob.objects.all() if with_file else ExportJob.objects.without_file()
    job = get_object_or_404(jobs, pk=pk)
    if not job.visible_to(request.user, scope_of(request.user)):
        raise Http404("Export introuvable.")
    if job.is_stale() and ExportJob.objects.filter(pk=job.pk).fail_stale():
        job.refresh_from_db()
    return job


class ExportJobView(VisibleFichesMixin, DetailView):
    template_name = "actions/export_job.html"
    context_object_name = "job"

    def get_object(self, queryset=None):
        return visible_job(self.request, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        job = self.object
        context = super().get_context_data(**kwargs)
        context.update(
            etat=job.state(),
            expire=job.is_expired(),
            refresh=REFRESH_SECONDS if job.unfinished else None,
            peut_relancer=job.status == JobStatus.FAILED
            and job.may_retry(self.request.user, scope_of(self.request.user)),
            relance_url=job_export_url(job),
            heures=settings.EXPORT_JOB_HOURS,
        )
        return context

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        patch_cache_control(response, private=True, no_cache=True)
        return response


def job_export_url(job: ExportJob) -> str:
    """The download's own address: asked again, it finds this job or, once expired, a new one."""
    name = {"recap-pdf": "actions:recap-pdf", "recap-xlsx": "actions:recap-xlsx"}[job.kind]
    return reverse(name) + (f"?{job.query}" if job.query else "")


class ExportJobStateView(View):
    """The progress as JSON, for static/js/export-job.js."""

    def get(self, request, pk):
        job = visible_job(request, pk)
        response = JsonResponse(job.state())
        patch_cache_control(response, private=True, no_store=True)
        return response


class ExportJobFileView(View):
    """The ready file; an expired or unfinished one's page says why there is none."""

    def get(self, request, pk):
        job = visible_job(request, pk, with_file=True)
        if job.status != JobStatus.READY or job.is_expired():
            return redirect(job)
        response = HttpResponse(bytes(job.content), content_type=job.content_type)
        response["Content-Disposition"] = f'attachment; filename="{job.file_name}"'
        patch_cache_control(response, private=True, no_cache=True)
        return response


class ExportJobRetryView(View):
    """Relaunches a failed job: its requester or staff (POST, CSRF-checked)."""

    def post(self, request, pk):
        job = visible_job(request, pk)
        if not job.may_retry(request.user, scope_of(request.user)):
            raise PermissionDenied(
                "Seuls la personne qui a demandé ce document et l'équipe du portail peuvent le "
                "relancer."
            )
        # Not failed (relaunched meanwhile, or ready): its page says where it is.
        export_job_retry(job=job)
        return redirect(job)
