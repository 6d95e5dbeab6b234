from django.urls import path

from bench.urls import bare

urlpatterns = [path("bench/bare/", bare)]
