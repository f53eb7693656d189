from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.urls import include, path


def login_page(request):
    """Stands in for NetBox's /login/ (LOGIN_URL, where SOCIAL_AUTH_LOGIN_ERROR_URL points from 4.6.3): shows the
    messages queued for the user, one a line, as NetBox's toasts do, then a form carrying the CSRF token, as
    NetBox 4.7's SSO button does."""
    lines = ["login page"] + [f"{message.level_tag}: {message.message}" for message in get_messages(request)]
    lines.append(f'<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="{get_token(request)}"></form>')
    return HttpResponse("\n".join(lines), content_type="text/plain")


urlpatterns = [
    # NetBox serves social-auth under /oauth/ with the namespace "social".
    path("oauth/", include("social_django.urls", namespace="social")),
    path("login/", login_page, name="login"),
    path("", lambda request: HttpResponse("home"), name="home"),
]
