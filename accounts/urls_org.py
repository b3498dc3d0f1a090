"""/organisation/ (members, invitations) and /invitations/<token>/ (accepting one)."""

from __future__ import annotations

from django.urls import path

from . import org_views

app_name = "org"
urlpatterns = [
    path("organisation/", org_views.organisation, name="organisation"),
    path("organisation/invitations/", org_views.invite, name="invite"),
    path(
        "organisation/invitations/<int:invitation_id>/resend/",
        org_views.invitation_resend_view,
        name="invitation_resend",
    ),
    path(
        "organisation/invitations/<int:invitation_id>/cancel/",
        org_views.invitation_cancel_view,
        name="invitation_cancel",
    ),
    path("organisation/members/<int:membership_id>/role/", org_views.member_role, name="member_role"),
    path("organisation/members/<int:membership_id>/remove/", org_views.member_remove, name="member_remove"),
    path("invitations/<str:token>/", org_views.invitation_accept, name="invitation_accept"),
]
