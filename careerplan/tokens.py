"""Secret tokens for links that work without a password (private links, invitations,
calendar feeds): 256 random bits in the URL, and only their SHA-256 in the database, so a
leaked database holds no working link."""

import hashlib
import secrets


def new_token():
    """Return (token, sha256 hex): the raw token for the URL, and the hash to store."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()
