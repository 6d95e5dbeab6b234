"""The stack's limit: Django with no middleware, no apps and no database.

Served by the same gunicorn configuration as the app (bench/pages.py), its throughput is
the reference every page is stated against: what Django and gunicorn serve at best here.
"""

import os

SECRET_KEY = os.environ.get("SECRET_KEY", "bench-bare-view-only")
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bench.bare_urls"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True
