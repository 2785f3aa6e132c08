from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Accounts come from roster imports and administrators: no public sign-up."""

    def is_open_for_signup(self, request) -> bool:
        return False
