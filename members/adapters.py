from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Accounts come from purchases; public sign-up is a setting (ACCOUNT_SIGNUP_OPEN)."""
        return settings.ACCOUNT_SIGNUP_OPEN
