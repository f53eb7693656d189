from django.http import HttpResponse
from django.urls import include, path

urlpatterns = [
    # NetBox serves social-auth under /oauth/ with the namespace "social".
    path("oauth/", include("social_django.urls", namespace="social")),
    path("", lambda request: HttpResponse("home"), name="home"),
]
