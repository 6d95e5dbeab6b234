import json

from django import forms

from accounts.models import User, validate_tz
from accounts.zones import canonical_zones, zone_aliases, zone_choices
from careerplan.validators import validate_one_line_name

NAME_REQUIRED = "Enter your name, so the app and your buddies can greet you."


class TimeZoneField(forms.ChoiceField):
    """A select of the canonical IANA zones by region (accounts.zones); the server
    validates whatever arrives, so any zone it knows is accepted."""

    default_error_messages = {
        "required": "Choose your time zone: your days, deadlines and reminders follow it."
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Time zone")
        kwargs.setdefault("help_text", "Your days, deadlines and reminders follow this zone.")
        super().__init__(choices=zone_choices(), **kwargs)
        self.widget.attrs["data-browser-tz"] = "true"
        # A browser may name its zone by an alias: static/js/app.js picks the zone it means.
        self.widget.attrs["data-zone-aliases"] = json.dumps(zone_aliases(), separators=(",", ":"))

    def offer(self, zone):
        """Offer `zone` too (a saved alias, say), so showing the form never changes it."""
        if zone and zone not in canonical_zones():
            self.choices = [(zone, zone.replace("_", " ")), *self.choices]

    def validate(self, value):
        # The choice list and the validator agree; the validator gives the clearer message.
        forms.Field.validate(self, value)
        validate_tz(value)


class SignupForm(forms.Form):
    """Extra sign-up fields for allauth: a name and a zone (pre-filled from the browser)."""

    display_name = forms.CharField(
        label="Your name",
        max_length=60,
        help_text="How the app, and any buddy you invite, will address you.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        validators=[validate_one_line_name],
        error_messages={"required": NAME_REQUIRED},
    )
    tz = TimeZoneField(initial="UTC")

    field_order = ["display_name", "email", "password1", "password2", "tz"]
    # allauth's own fields, which it adds after this form's __init__ (this class is the
    # base of its sign-up form), so their messages are set just before cleaning.
    allauth_required = {
        "email": "Enter your email address: you will sign in with it.",
        "password1": "Choose a password for your account.",
        "password2": "Type the same password again, to be sure of it.",
    }

    def full_clean(self):
        for name, message in self.allauth_required.items():
            if name in self.fields:
                self.fields[name].error_messages["required"] = message
        super().full_clean()

    def signup(self, request, user):
        user.display_name = self.cleaned_data["display_name"]
        user.save(update_fields=["display_name"])
        # The account was made in the default zone: moving it tells the apps whose
        # instants follow the zone (the new planner's reminders).
        user.change_zone(self.cleaned_data["tz"])


class ProfileForm(forms.ModelForm):
    tz = TimeZoneField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.saved_tz = self.instance.tz
        self.fields["tz"].offer(self.saved_tz)
        # The saved zone is a choice the person made: the browser must not override it.
        self.fields["tz"].widget.attrs["data-keep-zone"] = "true"

    def save(self, commit=True):
        # The zone goes through change_zone, which tells the other apps; the rest is a
        # plain save of the fields on the form.
        user = self.instance
        tz, user.tz = user.tz, self.saved_tz
        user.save(update_fields=["display_name"])
        user.change_zone(tz)
        return user

    class Meta:
        model = User
        fields = ["display_name", "tz"]
        labels = {"display_name": "Your name"}
        error_messages = {"display_name": {"required": NAME_REQUIRED}}
