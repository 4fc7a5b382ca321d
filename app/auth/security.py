"""Password hashing (argon2) and bearer tokens (JWT, HS256): the only place that touches either."""
from __future__ import annotations

from dataclasses import dataclass
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


def issue_token(user_id: int, session_version: int, secret: str, minutes: int) -> str:
    """A bearer token naming the account by its id (never its name, which a later account may reuse)."""
    issued = now()
    claims = {"sub": str(user_id), "sv": session_version, "iat": issued, "exp": issued + timedelta(minutes=minutes),
              "iss": "baton"}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    session_version: int


def read_token(token: str, secret: str) -> TokenClaims | None:
    """The account and session a valid, unexpired token names, else None."""
    try:
        # Expiry is checked against the one clock below, not PyJWT's own reading of the wall clock.
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer="baton",
                            options={"require": ["sub", "exp", "sv"], "verify_exp": False, "verify_iat": False})
    except jwt.PyJWTError:
        return None
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now().timestamp():
        return None
    sub, version = claims.get("sub"), claims.get("sv")
    if not isinstance(sub, str) or not sub.isdigit() or len(sub) > 12 or type(version) is not int:
        return None
    return TokenClaims(int(sub), version)
