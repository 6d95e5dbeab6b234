"""How a test reads a refused form: the message drawn beside one of its fields."""

import html
import re


def message_beside(page, name):
    """Return the words of the refusal under the field `name` in `page`: the element its
    aria-describedby points at. Fails unless the field itself is marked refused."""
    field = re.search(rf'<(?:input|select|textarea)\b[^>]*\bname="{name}"[^>]*>', page)
    assert field, f"no field {name!r}"
    assert 'aria-invalid="true"' in field[0], field[0]
    described_by = re.search(r'aria-describedby="([^"]*)"', field[0])[1].split()
    [error_id] = [ref for ref in described_by if ref.endswith("_error")]
    error = re.search(rf'<div id="{error_id}"[^>]*>(.*?)</div>', page, flags=re.DOTALL)
    assert error, f"no message {error_id!r}"
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", error[1]).split()))
