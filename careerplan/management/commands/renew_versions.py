"""Give every person a new version (careerplan.versions), so that nothing cached under
the old ones (a signed-in person, a page) is read again.

Run it after rows changed where the app could not say so: a database restored from a
backup, a fix made in psql, or writes that failed half-way while Redis was unreachable
(a save outside a transaction is written before its version can move).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from careerplan import versions

BATCH = 1000


class Command(BaseCommand):
    help = "Give every person a new version: nothing cached for them is read again."

    def handle(self, *args, **options):
        if not versions.enabled():
            self.stdout.write("No shared cache (REDIS_URL): nothing is kept to renew.")
            return
        ids = get_user_model()._default_manager.values_list("pk", flat=True).order_by("pk")
        count = 0
        batch = []
        for user_id in ids.iterator(chunk_size=BATCH):
            batch.append(user_id)
            if len(batch) == BATCH:
                versions.bump(*batch)
                count, batch = count + len(batch), []
        versions.bump(*batch)
        self.stdout.write(f"New versions for {count + len(batch)} people.")
