"""What happens to a buddyship that needs an email: a raw token exists only until its email
is written. Both are sent inside the transaction that stores the token's hash, and
buddies.receivers writes the outbox row there, so no token is ever made without its email
(and no email without its token)."""

from django.dispatch import Signal

# A new invitation token: sender=Buddyship, buddyship, token (raw).
invitation_issued = Signal()
# A new private progress link: sender=Buddyship, buddyship, link (ShareLink), token (raw).
link_issued = Signal()
