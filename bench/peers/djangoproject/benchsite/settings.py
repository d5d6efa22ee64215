"""Production-style settings: DEBUG off, persistent database connections, Django's
default password hasher, no session/CSRF middleware (django-scim2's views are
CSRF-exempt), a bearer token checked before django-scim2's own auth check."""

import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django_scim",
    "benchapp",
]
MIDDLEWARE = [
    "benchapp.middleware.BearerTokenMiddleware",
    "django_scim.middleware.SCIMAuthCheckMiddleware",
]
ROOT_URLCONF = "benchsite.urls"
WSGI_APPLICATION = "benchsite.wsgi.application"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("DJANGO_BENCH_DB", "django_scim2_bench"),
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": "5432",
        "CONN_MAX_AGE": None,
    }
}
AUTH_USER_MODEL = "benchapp.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
SCIM_SERVICE_PROVIDER = {
    "NETLOC": "127.0.0.1",
    "GROUP_MODEL": "benchapp.models.Group",
    "AUTHENTICATION_SCHEMES": [
        {
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A static bearer token",
        }
    ],
}
