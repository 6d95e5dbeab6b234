"""Rules for text that is one line: a person's name.

A name goes into email headers ("To:", "From: Sam via careerplan", subjects) and into
other people's pages. So it holds no line break of any kind nor other control character,
and no bidirectional control (U+202A-U+202E, U+2066-U+2069, U+061C, U+200E, U+200F),
which would make "Sam" display as someone else's words reversed around it.
"""

import re

from django.core.exceptions import ValidationError

# C0 and C1 control characters (line breaks among them) and the Unicode line separators.
HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
BIDI_CONTROLS = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def validate_one_line_name(value):
    if HEADER_UNSAFE.search(value or "") or BIDI_CONTROLS.search(value or ""):
        raise ValidationError(
            "A name is one line: take out the line breaks and special characters.",
            code="header_unsafe",
        )
