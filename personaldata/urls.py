# Served under /accounts/data/.
from django.urls import path

from personaldata import views

urlpatterns = [
    path("", views.data_home, name="personaldata-home"),
    path("export/", views.export_start, name="personaldata-export-start"),
    path("exports/<uuid:code>/", views.export_status, name="personaldata-export"),
    path(
        "exports/<uuid:code>/download/",
        views.export_download,
        name="personaldata-export-download",
    ),
    path("import/", views.import_archive, name="personaldata-import"),
    path("delete/", views.delete_account, name="personaldata-delete"),
    path("deleted/", views.account_deleted, name="personaldata-deleted"),
]
