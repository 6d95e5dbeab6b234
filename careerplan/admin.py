from django.contrib import admin

from careerplan.models import Heartbeat


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "last_run", "runs", "hostname"]
