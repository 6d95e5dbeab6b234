"""What the two-factor pages need to know about the person signing in."""

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django import template

register = template.Library()


@register.filter
def has_passkey(user):
    """True if `user` has added a passkey (a WebAuthn authenticator)."""
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.WEBAUTHN).exists()


@register.filter
def has_two_factor(user):
    """True if two-factor sign-in is on for `user` (allauth.mfa's own test)."""
    return is_mfa_enabled(user)
