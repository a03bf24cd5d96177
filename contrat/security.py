"""Hardening glue: client address, lockout page."""

import ipaddress
import math

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse


def client_ip(request) -> str | None:
    """The address a login attempt came from, as django-axes counts it.

    Behind N reverse proxies that each append to X-Forwarded-For, the N-th address from the
    right is the one the first proxy saw; everything left of it is whatever the client sent,
    so trusting it would let an attacker dodge the lockout with a new address on each try."""
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT or 0
    if count < 1:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def french_duration(minutes: int) -> str:
    """30 -> "30 minutes", 60 -> "1 heure", 90 -> "1 h 30"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{minutes} minute{'s' if minutes > 1 else ''}"
    if not rest:
        return f"{hours} heure{'s' if hours > 1 else ''}"
    return f"{hours} h {rest:02d}"


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' AXES_LOCKOUT_CALLABLE: the admin's look, in French, status 429."""
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    context = {
        **admin.site.each_context(request),
        "title": "Connexion temporairement bloquée",
        "cooloff": french_duration(minutes) if minutes else None,
    }
    response = TemplateResponse(request, "registration/lockout.html", context, status=429)
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response.render()
