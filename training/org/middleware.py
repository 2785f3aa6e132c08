import time

from django.conf import settings
from django.shortcuts import redirect

from training.org.selectors import user_requires_mfa

# A passed check is remembered in the session for this long, so hot endpoints (exam
# autosave, video heartbeats) do not look up role grants and authenticators on every
# request; a role granted mid-session is enforced at the latest this much later.
_RECHECK_SECONDS = 300
_SESSION_KEY = "_mfa_ok_until"

# Paths a privileged user without TOTP may still reach: the set-up pages themselves,
# logout, language switch, static files and the health check.
_ALLOWED_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/healthz", "/media/")


class MfaEnforcementMiddleware:
    """With ``MFA_ENFORCED`` on, coordinators, leaders, editors and admins must set up
    TOTP before they can use anything else. Once set up, allauth asks for the code
    at every login."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.MFA_ENFORCED
            and request.user.is_authenticated
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and request.session.get(_SESSION_KEY, 0) < time.time()
        ):
            if user_requires_mfa(request.user) and not _has_totp(request.user):
                return redirect("mfa_activate_totp")
            request.session[_SESSION_KEY] = time.time() + _RECHECK_SECONDS
        return self.get_response(request)


def _has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user=user, type=Authenticator.Type.TOTP
    ).exists()
