"""allauth, the careerplan way: account emails in the site's own style, and a buddy's
invitation that survives signing up and logging in."""

from allauth.account import app_settings
from allauth.account.adapter import DefaultAccountAdapter, get_adapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import User
from careerplan.mail import build_email

# allauth's emails and the templates (templates/emails/<name>-*) that replace them. The
# notifications allauth sends only with ACCOUNT_EMAIL_NOTIFICATIONS (off here) keep its
# own text.
ACCOUNT_EMAILS = {
    "account/email/email_confirmation_signup": "account-verify",
    "account/email/email_confirmation": "account-verify",
    "account/email/password_reset_key": "account-reset",
    "account/email/unknown_account": "account-unknown",
    "account/email/account_already_exists": "account-exists",
}
# The longest address the email columns hold (allauth's EmailAddress, the account's).
EMAIL_MAX_LENGTH = app_settings.EMAIL_MAX_LENGTH
# The session key of an invitation the visitor opened and has not answered yet.
PENDING_INVITATION = "buddy_invitation"


def remember_invitation(request, token, email):
    """Keep an invitation for the visitor who opened it: the address it was sent to is
    proven by the emailed link (signing up with it needs no second verification), and
    after signing up or logging in the visitor is taken back to it."""
    get_adapter(request).stash_verified_email(request, email)
    request.session[PENDING_INVITATION] = token


def forget_invitation(request):
    request.session.pop(PENDING_INVITATION, None)


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email):
        """Every address allauth takes (sign-up, a new address, a password reset) fits
        the column that stores it: a longer one was a 500 on the email page, and a reset
        link sent to an address no account can have."""
        email = super().clean_email(email)
        if len(email) > EMAIL_MAX_LENGTH:
            raise ValidationError(
                f"An email address has at most {EMAIL_MAX_LENGTH} characters.", code="max_length"
            )
        return email

    def send_mail(self, template_prefix, email, context):
        name = ACCOUNT_EMAILS.get(template_prefix)
        if name is None:
            return super().send_mail(template_prefix, email, context)
        context = {
            "email": email,
            "signup": template_prefix.endswith("_signup"),
            **context,
        }
        # A new address may be someone else's (a typo): its link does not greet them with
        # the name of the account that asked.
        context["greet_by_name"] = name != "account-verify" or context["signup"]
        if name in ("account-unknown", "account-exists"):
            # allauth finds no usable account for the address: it may be a closed one,
            # which neither "there is no account" nor "log in instead" describes.
            closed = User.objects.filter(email__iexact=email, is_active=False).first()
            if closed is not None:
                name = "account-closed"
                context["signup"] = template_prefix.endswith("account_already_exists")
                context["closing"] = hasattr(closed, "closure")
        return build_email(name, context, [email]).send()

    def unstash_verified_email(self, request):
        """The invited address counts as verified only for a sign-up with that very
        address. (allauth would otherwise add it to an account signed up with another
        address, and make it the login, which the person did not ask for.)"""
        proven = super().unstash_verified_email(request)
        typed = request.POST.get("email", "") if request.method == "POST" else ""
        return proven if proven and proven.lower() == typed.strip().lower() else None

    def get_login_redirect_url(self, request):
        """Back to an invitation opened before signing up or logging in, if there is one."""
        token = request.session.get(PENDING_INVITATION)
        if token:
            return reverse("buddies-invitation", args=[token])
        return super().get_login_redirect_url(request)

    def get_signup_redirect_url(self, request):
        token = request.session.get(PENDING_INVITATION)
        if token:
            return reverse("buddies-invitation", args=[token])
        return super().get_signup_redirect_url(request)


class MFAAdapter(DefaultMFAAdapter):
    """allauth.mfa with its two refusals about email addresses saying what to do."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        # A change of address waiting for its confirmation counts as unverified.
        "unverified_email": (
            "Two-factor sign-in can be turned on once every address on your account is "
            "confirmed: confirm the new address from the email we sent, or keep your "
            "current one, on the page for your email address."
        ),
        "add_email_blocked": (
            "Two-factor sign-in is on, so your email address cannot be changed: turn it off "
            "on the two-factor page, change the address, then turn it on again."
        ),
    }
