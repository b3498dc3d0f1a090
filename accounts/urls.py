from __future__ import annotations

from django.urls import path

from . import security_views, views
from .oidc import views as oidc_views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.sign_in, name="login"),
    path("sign-out/", views.sign_out, name="logout"),
    path("organisation/switch/", views.switch, name="switch"),
    # Single sign-on (OpenID Connect): domain discovery, start, the provider's redirect back.
    path("sign-in/sso/", oidc_views.sso_discover, name="sso_discover"),
    path("oidc/start/", oidc_views.OidcStartView.as_view(), name="oidc_start"),
    path("oidc/callback/", oidc_views.OidcCallbackView.as_view(), name="oidc_callback"),
]

# Forgotten password (Django's views, throttled): reachable from the sign-in page.
urlpatterns += [
    path("password-reset/", security_views.password_reset, name="password_reset"),
    path("password-reset/sent/", security_views.password_reset_done, name="password_reset_done"),
    path("reset/<uidb64>/<token>/", security_views.password_reset_confirm, name="password_reset_confirm"),
    path("reset/done/", security_views.password_reset_complete, name="password_reset_complete"),
]
