"""What happens to a buddyship that needs an email. Each is sent inside the transaction of
the change, and buddies.receivers writes the outbox row there, so the email commits or
rolls back with it. A raw token exists only until its email is written: no token is ever
made without its email (and no email without its token)."""

from django.dispatch import Signal

# A new invitation token: sender=Buddyship, buddyship, token (raw).
invitation_issued = Signal()
# A new private progress link: sender=Buddyship, buddyship, link (ShareLink), token (raw).
link_issued = Signal()
# The buddy left, closed their account, or declined the invitation: sender=Buddyship,
# buddyship (with its new status).
ended_by_buddy = Signal()
