"""A time zone as the profile's list names it: "Berlin (Europe)", not "Europe/Berlin"."""

from django import template

from accounts.zones import zone_name

register = template.Library()
register.filter("zone_name", zone_name)
