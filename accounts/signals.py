"""What happens to accounts, announced for the apps above (accounts imports none of them).

Each signal is sent with `sender=User` and `user=<User>` inside the transaction that made
the change, so a receiver's writes commit or roll back with it.
"""

from django.dispatch import Signal

zone_changed = Signal()  # the person's time zone changed: local dates mean new instants
