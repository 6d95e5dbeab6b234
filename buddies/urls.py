# Served under /buddies/.
from django.urls import include, path

from buddies import views

urlpatterns = [
    # The planner's side.
    path("", views.buddy_list, name="buddies-list"),
    path("invite/", views.buddy_invite, name="buddies-invite"),
    path("<uuid:code>/edit/", views.buddy_edit, name="buddies-edit"),
    path("<uuid:code>/preview/", views.buddy_preview, name="buddies-preview"),
    path("<uuid:code>/revoke/", views.buddy_revoke, name="buddies-revoke"),
    path("<uuid:code>/resend/", views.buddy_resend, name="buddies-resend"),
    path("<uuid:code>/link/rotate/", views.buddy_link_rotate, name="buddies-link-rotate"),
    path("<uuid:code>/link/revoke/", views.buddy_link_revoke, name="buddies-link-revoke"),
    path("notes/seen/", views.notes_seen, name="buddies-notes-seen"),
    path("steps/<uuid:code>/answer/", views.checkup_answer, name="buddies-checkup-answer"),
    # The invitation, addressed by its token (no login needed to read or decline it).
    path("invitation/<str:token>/", views.invitation, name="buddies-invitation"),
    path(
        "invitation/<str:token>/decline/",
        views.invitation_decline,
        name="buddies-invitation-decline",
    ),
    path(
        "invitation/<str:token>/follow/", views.invitation_follow, name="buddies-invitation-follow"
    ),
    path(
        "invitations/<uuid:code>/accept/",
        views.invitation_answer,
        {"answer": "accept"},
        name="buddies-invitation-accept",
    ),
    path(
        "invitations/<uuid:code>/decline/",
        views.invitation_answer,
        {"answer": "decline"},
        name="buddies-invitation-decline-signed-in",
    ),
    # The buddy's side: signed in (by buddyship code) or through a private link (token).
    path("b/<uuid:code>/", views.progress, name="buddies-progress"),
    path("b/<uuid:code>/cheer/", views.cheer, name="buddies-cheer"),
    path("b/<uuid:code>/leave/", views.leave, name="buddies-leave"),
    path("p/<str:token>/", views.link_progress, name="buddies-link-progress"),
    path("p/<str:token>/cheer/", views.link_cheer, name="buddies-link-cheer"),
    path("p/<str:token>/leave/", views.link_leave, name="buddies-link-leave"),
    path("m/", include("buddies.urls_mail")),
]
