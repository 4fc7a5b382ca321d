"""Password hashing (argon2) and bearer tokens (JWT, HS256): the only place that touches either."""
from __future__ import annotations

from datetime import timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.clock import now

_hasher = PasswordHasher()
ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def issue_token(username: str, secret: str, minutes: int) -> str:
    issued = now()
    claims = {"sub": username, "iat": issued, "exp": issued + timedelta(minutes=minutes), "iss": "baton"}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(token: str, secret: str) -> str | None:
    """The username a valid, unexpired token names, else None."""
    try:
        # Expiry is checked against the one clock below, not PyJWT's own reading of the wall clock.
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer="baton",
                            options={"require": ["sub", "exp"], "verify_exp": False, "verify_iat": False})
    except jwt.PyJWTError:
        return None
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now().timestamp():
        return None
    return claims.get("sub")
