from celery import shared_task

from personaldata import jobs


@shared_task
def build_export(code):
    """Build a person's archive (a large account's, too big for a request)."""
    return jobs.build_export(code)


@shared_task
def tidy():
    """Expire downloads, recover lost builds and purge deleted accounts (beat)."""
    return jobs.tidy()
