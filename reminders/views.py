"""The Reminders page: each reminder on its own switch, at a time in the planner's zone,
and the browsers that take them as push notifications."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from careerplan.access import get_by_code
from careerplan.http import require_POST
from reminders import push
from reminders.forms import PushSubscriptionForm, ReminderForm
from reminders.kinds import next_send
from reminders.models import DEFAULTS, PushSubscription, Reminder


def _forms(request, data=None):
    mine = Reminder.objects.filter(user=request.user).select_related("user")
    reminders = {r.kind: r for r in mine}
    if len(reminders) < len(DEFAULTS):
        # Only a planner from before reminders existed, whom the migration missed.
        Reminder.objects.create_defaults(request.user)
        reminders = {r.kind: r for r in mine.all()}
    return [ReminderForm(data, instance=reminders[kind], prefix=kind) for kind in DEFAULTS]


def _render(request, forms, push_form=None, status=200):
    now = timezone.now()
    for form in forms:
        form.next_send = next_send(form.instance, now)
    context = {
        "forms": forms,
        "refused": [form for form in forms if form.errors],
        "push_form": push_form,
        "vapid_key": push.application_server_key(),
        "subscriptions": list(
            PushSubscription.objects.filter(user=request.user).order_by("created")
        ),
    }
    return render(request, "reminders/settings.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def reminder_settings(request):
    if request.method != "POST":
        return _render(request, _forms(request))
    forms = _forms(request, request.POST)
    refused = [form for form in forms if not form.is_valid()]
    if refused:
        # On a phone the boxes run far down: the top of the page says which boxes need a
        # look, and the cursor opens in the first refused field (careerplan.forms.BoundField).
        return _render(request, forms, status=422)
    for form in forms:
        form.save()
    messages.success(request, "Your reminders are saved.")
    return redirect("reminders-settings")


@login_required
@require_POST
def push_subscribe(request):
    """Take this browser's push subscription (sent by static/js/push.js)."""
    form = PushSubscriptionForm(request.POST)
    if not push.configured() or not form.is_valid():
        if not push.configured():
            form.add_error(None, "Push notifications are not set up on this server.")
        return _render(request, _forms(request), push_form=form, status=422)
    PushSubscription.subscribe(
        request.user,
        label=push.device_label(request.headers.get("User-Agent", "")),
        **form.cleaned_data,
    )
    messages.success(request, "This browser will show your reminders as notifications too.")
    return redirect("reminders-settings")


@login_required
@require_POST
def push_delete(request, code):
    subscription = get_by_code(PushSubscription, code=code, user=request.user)
    subscription.delete()
    messages.success(request, f"No more notifications to {subscription.label or 'that browser'}.")
    return redirect("reminders-settings")
