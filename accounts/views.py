from allauth.account import views as allauth_views
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
    """allauth's page for the email address. Its "send the link again" sends nothing
    within three minutes of the last link (ACCOUNT_RATE_LIMITS["confirm_email"]), and
    said nothing either: the page now says so."""

    def _action_send(self, request, *args, **kwargs):
        response = super()._action_send(request, *args, **kwargs)
        if not self._did_send_verification_email:
            messages.info(
                request,
                "A link went to that address less than three minutes ago, so no new one was "
                "sent. Give it a moment, and look in the spam folder.",
            )
        return response
