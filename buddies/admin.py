from django.contrib import admin, messages
from django.db.models import F
from django.utils import timezone

from buddies.models import Notification
from buddies.outbox.rows import schedule_send


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox, for an operator: what went, what waits, and what needs a person
    (failed rows, and ambiguous ones that may or may not have reached the buddy)."""

    list_display = [
        "created",
        "kind",
        "channel",
        "state",
        "recipient",
        "attempts",
        "resends",
        "sent_at",
        "last_error",
    ]
    list_filter = ["state", "kind", "channel"]
    search_fields = ["code", "buddyship__email", "user__email", "message_id"]
    date_hierarchy = "created"
    ordering = ["-created"]
    list_select_related = ["buddyship", "user"]
    actions = ["send_again"]
    fields = [
        "code",
        "kind",
        "channel",
        "state",
        "recipient",
        "step",
        "key",
        "shown_payload",
        "created",
        "next_attempt",
        "lease_until",
        "attempts",
        "handed_over",
        "resends",
        "sent_at",
        "message_id",
        "last_error",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="to")
    def recipient(self, obj):
        if obj.buddyship_id is None:
            return f"{obj.user.display_name} <{obj.user.email}> (planner)"
        return f"{obj.buddyship.name} <{obj.buddyship.email}>"

    @admin.display(description="payload")
    def shown_payload(self, obj):
        # A pending invitation or link carries its raw token: never show it.
        return {k: ("(hidden)" if k == "secret" else v) for k, v in obj.payload.items()}

    def has_send_again_permission(self, request):
        # Rows are never edited by hand, but sending one again changes it: viewing the
        # outbox is not enough.
        return request.user.has_perm("buddies.change_notification")

    @admin.action(
        description="Send again (failed or ambiguous rows only)", permissions=["send_again"]
    )
    def send_again(self, request, queryset):
        # The same Message-ID goes out again, so a server that has the first copy of an
        # ambiguous row can drop the repeat. An ambiguous row counts as sent again after
        # an unknown outcome, so its step's answer still reaches the buddy.
        again = {
            "state": Notification.State.PENDING,
            "next_attempt": timezone.now(),
            "attempts": 0,
            "lease_until": None,
            "handed_over": None,
            "last_error": "",
        }
        count = queryset.filter(state=Notification.State.FAILED).update(**again)
        count += queryset.filter(state=Notification.State.AMBIGUOUS).update(
            resends=F("resends") + 1, **again
        )
        if count:
            schedule_send()
        self.message_user(request, f"{count} email(s) will be sent again.", messages.SUCCESS)
