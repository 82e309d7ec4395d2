"""Settings of the app server the HTTP scenarios run against (`bench.server`): the test settings
(fast password hashing, same DATABASE_URL as the harness) run like production: DEBUG off,
persistent database connections, the bench URLconf with the ceiling views."""

from config.settings.test import *  # noqa: F403
from config.settings.test import DATABASES, env

DEBUG = False
ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# A production server keeps its connections; opening one per request would dominate the ceilings.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# Outbox messages wait for a worker, as in production.
CELERY_TASK_ALWAYS_EAGER = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
