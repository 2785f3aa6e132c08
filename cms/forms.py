from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.users.forms import UserCreationForm, UserEditForm

USER_FIELDS = {"username", "email", "full_name", "is_superuser", "groups"}


class WagtailUserCreationForm(UserCreationForm):
    first_name = None
    last_name = None
    full_name = forms.CharField(label=_("Full name"), max_length=100)

    class Meta(UserCreationForm.Meta):
        fields = USER_FIELDS


class WagtailUserEditForm(UserEditForm):
    first_name = None
    last_name = None
    full_name = forms.CharField(label=_("Full name"), max_length=100)

    class Meta(UserEditForm.Meta):
        fields = USER_FIELDS | {"is_active"}
