from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import ProfileForm
from careerplan.forms import editable


@login_required
@require_http_methods(["GET", "POST"])
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
