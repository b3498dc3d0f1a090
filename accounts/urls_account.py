"""/account/: your password, sessions and API tokens; your data (export) and account deletion."""

from __future__ import annotations

from django.urls import path

from . import security_views, signup_views

app_name = "account"
urlpatterns = [
    path("", security_views.account, name="index"),
    path("password/", security_views.password_change, name="password"),
    path("sessions/", security_views.sessions, name="sessions"),
    path("sessions/<int:session_id>/end/", security_views.session_end, name="session_end"),
    path("sessions/end-all/", security_views.sessions_end_all, name="sessions_end_all"),
    path("tokens/", security_views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", security_views.token_revoke, name="token_revoke"),
    path("export/", signup_views.export, name="export"),
    path("delete/", signup_views.delete, name="delete"),
]
