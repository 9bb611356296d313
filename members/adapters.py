from allauth.account.adapter import DefaultAccountAdapter, get_adapter
from allauth.account.views import EmailView
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Accounts come from purchases; public sign-up is a setting (ACCOUNT_SIGNUP_OPEN)."""
        return settings.ACCOUNT_SIGNUP_OPEN

    def get_from_email(self) -> str:
        """allauth's mails (password reset, verification) come from the site's name too."""
        from branding.selectors import from_email

        return from_email()


class MemberEmailView(EmailView):
    """allauth's e-mail page, but an address becomes the account's only once it is verified.

    Purchases are matched to accounts by their address. allauth lets an account without any
    verified address make an unverified one primary, which would let someone claim a buyer's
    address before they buy, and receive their purchase.
    """

    def _action_primary(self, request: HttpRequest, *args, **kwargs):
        email_address = self._get_email_address(request)
        if email_address is not None and not email_address.verified:
            get_adapter(request).add_message(
                request, messages.ERROR, "account/messages/unverified_primary_email.txt"
            )
            return HttpResponseRedirect(self.get_success_url())
        return super()._action_primary(request, *args, **kwargs)
