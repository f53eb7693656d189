from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.urls import include, path


def login_page(request):
    """Stands in for NetBox's /login/: shows the messages queued for the user, one a line, as NetBox's toasts do."""
    lines = ["login page"] + [f"{message.level_tag}: {message.message}" for message in get_messages(request)]
    return HttpResponse("\n".join(lines), content_type="text/plain")


urlpatterns = [
    # NetBox serves social-auth under /oauth/ with the namespace "social".
    path("oauth/", include("social_django.urls", namespace="social")),
    path("login/", login_page, name="login"),
    path("", lambda request: HttpResponse("home"), name="home"),
]
