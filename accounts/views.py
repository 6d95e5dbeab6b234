from allauth.account import views as allauth_views
from allauth.account.internal.flows.email_verification import (
    consume_email_verification_rate_limit,
)
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import ProfileForm
from careerplan.forms import editable


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request):
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=editable(user))
        if form.is_valid():
            form.save()
            messages.success(request, "Your profile is saved.")
            return redirect("accounts-profile")
        return render(request, "accounts/profile.html", {"form": form}, status=422)
    return render(request, "accounts/profile.html", {"form": ProfileForm(instance=user)})


class EmailView(allauth_views.EmailView):
    """allauth's page for the email address. A link goes to an address at most once in
    three minutes (ACCOUNT_RATE_LIMITS["confirm_email"]): "send the link again", or a
    change back to an address that had a link moments ago, then sends nothing, and said
    nothing either: the page now says so."""

    NOT_SENT = (
        "A link went to {} less than three minutes ago, so no new one was sent. Give it a "
        "moment, and look in the spam folder."
    )

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        will_send = consume_email_verification_rate_limit(self.request, email, dry_run=True)
        response = super().form_valid(form)
        if not will_send:
            messages.info(self.request, self.NOT_SENT.format(email))
        return response

    def _action_send(self, request, *args, **kwargs):
        response = super()._action_send(request, *args, **kwargs)
        if not self._did_send_verification_email:
            messages.info(request, self.NOT_SENT.format("that address"))
        return response
