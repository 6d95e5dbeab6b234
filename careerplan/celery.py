"""The Celery application: settings come from Django's (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careerplan.settings")

app = Celery("careerplan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# A worker that stops consuming exits to be restarted (started on worker_ready), and so
# does a beat that stops ticking (started on beat_init).
from careerplan import beat, watchdog  # noqa: E402, F401
