"""Stand-in for netbox.middleware: only SocialAuthExceptionMiddleware, which NetBox adds from 4.6.3.

Like NetBox's, it is social-app-django's exception middleware with one generic message instead of the
exception's text; the redirect goes to SOCIAL_AUTH_LOGIN_ERROR_URL (NetBox sets it to LOGIN_URL).
"""

from social_django.middleware import SocialAuthExceptionMiddleware as _SocialAuthExceptionMiddleware

GENERIC_MESSAGE = "Single sign-on failed. Please try again or contact your administrator."


class SocialAuthExceptionMiddleware(_SocialAuthExceptionMiddleware):
    def get_message(self, request, exception):
        return GENERIC_MESSAGE
