from django.contrib import messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.urls import include, path
from django.utils.html import escape


def login_page(request):
    """Stand-in for NetBox's login page (LOGIN_URL, where SOCIAL_AUTH_LOGIN_ERROR_URL points from 4.6.3): the
    messages queued for the user, then a form carrying the CSRF token, as NetBox 4.7's SSO button does."""
    shown = "".join(f'<div class="alert {escape(m.tags)}">{escape(m.message)}</div>' for m in messages.get_messages(request))
    form = f'<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="{get_token(request)}"></form>'
    return HttpResponse(f"<html><body>{shown}{form}</body></html>")


urlpatterns = [
    # NetBox serves social-auth under /oauth/ with the namespace "social".
    path("oauth/", include("social_django.urls", namespace="social")),
    path("login/", login_page, name="login"),
    path("", lambda request: HttpResponse("home"), name="home"),
]
