from __future__ import annotations

from django.urls import path

from . import security_views, signup_views, views
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

# Sign-up (WORKFLOWOS_SIGNUP), e-mail verification and the first choice after it.
urlpatterns += [
    path("sign-up/", signup_views.sign_up, name="sign_up"),
    path("sign-up/sent/", signup_views.sign_up_sent, name="sign_up_sent"),
    path("verify-email/", signup_views.verify_pending, name="verify_pending"),
    path("verify-email/resend/", signup_views.verify_resend, name="verify_resend"),
    path("verify-email/<str:token>/", signup_views.verify_email, name="verify_email"),
    path("welcome/", signup_views.welcome, name="welcome"),
]
