"""Log-in, log-out, passwords, invitations and a user's own preferences."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import actions
from accounts.forms import LanguageForm, LoginForm, PreferencesForm
from accounts.http import AuthenticatedRequest
from lib import ratelimit

LOGIN_IP_SCOPE = "login-ip"


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    """Log-in by e-mail. Besides django-axes' lock-out per address and network, failed
    log-ins are counted per network across addresses (LOGIN_IP_RATE_LIMIT): past the limit
    the page answers 429 and checks no password from there until the window has passed."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def dispatch(self, request, *args, **kwargs):
        address = ratelimit.client_ip(request)
        rate = settings.LOGIN_IP_RATE_LIMIT
        if ratelimit.exceeded(LOGIN_IP_SCOPE, rate, address):
            minutes = -(-ratelimit.retry_after(LOGIN_IP_SCOPE, rate, address) // 60)
            return render(
                request, "accounts/login_throttled.html", {"retry_minutes": minutes}, status=429
            )
        return super().dispatch(request, *args, **kwargs)

    def form_invalid(self, form):
        ratelimit.hit(
            LOGIN_IP_SCOPE, settings.LOGIN_IP_RATE_LIMIT, ratelimit.client_ip(self.request)
        )
        return super().form_invalid(form)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:preferences")

    def form_valid(self, form):
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/emails/password_reset_body.txt"
    subject_template_name = "accounts/emails/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        # Links in the e-mail must point at the public address, also behind a proxy.
        self.extra_email_context = {"public_base_url": settings.PUBLIC_BASE_URL}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:login")

    def form_valid(self, form):
        messages.success(self.request, _("Your new password is set. Please log in."))
        return super().form_valid(form)


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The link in an invitation: choose a password, then land in the workspace."""

    template_name = "accounts/invitation_accept.html"
    success_url = reverse_lazy("home")
    post_reset_login = True
    post_reset_login_backend = "accounts.permissions.GrantedPermissionBackend"
    title = gettext_lazy("Welcome to Switchboard")

    def form_valid(self, form):
        messages.success(self.request, _("Welcome! Your password is set."))
        return super().form_valid(form)


def preferences(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    form = PreferencesForm(
        request.POST or None,
        initial={
            "display_name": user.display_name,
            "language": user.language,
            "time_zone": user.time_zone,
            "notify_desktop": user.notify_desktop,
            "notify_sound": user.notify_sound,
        },
    )
    if request.method == "POST" and form.is_valid():
        actions.update_own_preferences(user, **form.cleaned_data)
        messages.success(request, _("Your preferences are saved."))
        response = redirect("accounts:preferences")
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
        return response
    return render(request, "accounts/preferences.html", {"form": form})


@login_not_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; remembered on the user and in a cookie for log-in."""
    form = LanguageForm(request.POST)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("home")
    response = HttpResponseRedirect(next_url)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            request.user.language = language
            request.user.save(update_fields=["language"])
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response
