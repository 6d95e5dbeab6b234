"""A view that does nothing, mounted only under BENCH_BARE_VIEW=1, so the load benchmark
can state every page's throughput as a share of what the same stack serves at best."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET


@require_GET
def bare(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bare/", bare, name="bench-bare")]
