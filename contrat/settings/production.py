"""Production: DEBUG off, secret and hosts from the environment, secure cookies, HSTS."""

from .base import *  # noqa: F403
from .base import env_bool, env_int, require_secret_key

DEBUG = False
require_secret_key()

STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}

# HTTPS everywhere. Behind a reverse proxy that terminates TLS (BEHIND_PROXY=true), Django
# learns that the request was HTTPS from the proxy's X-Forwarded-Proto header: the proxy MUST
# set it (and drop any value the client sent), or a client could claim HTTPS over plain HTTP.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
