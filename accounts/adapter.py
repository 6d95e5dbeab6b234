from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """allauth hooks: messages in the product's own words."""

    def is_open_for_signup(self, request):
        return True
