"""The sign-in of this browser: its token (`drafter.workflow.sign_in`) in the session's state and in
a cookie the page writes, so a refresh, which starts a new session, signs in from the cookie.

Streamlit can read the cookies of a session's first request (`st.context.cookies`) but not set
one, so a small script on the page writes it (`SameSite=Strict`, and `Secure` over https; a
script's cookie cannot be `HttpOnly`). Every run checks the token again, so an expired token, a
sign-out elsewhere or a deactivated account shows the sign-in page at the next click.
"""

from __future__ import annotations

import json

import streamlit as st

from drafter.core.errors import PermissionDeniedError, SignInExpiredError
from drafter.workflow.accounts import User
from ui.services import USER_KEY, get_sign_ins

COOKIE = "drafter_session"
TOKEN_KEY = "sign_in_token"
NOTE_KEY = "sign_in_note"  # why the sign-in page shows, e.g. an expired sign-in
_COOKIE_READ = "sign_in_cookie_read"  # a session reads its first request's cookie once
_FORGET = "sign_in_forget"  # the page clears the cookie on this run
EXPIRED = "Your sign-in expired. Please sign in again."


def request_cookie() -> str | None:
    """The token the browser sent when it opened this session (a page load or a refresh)."""
    value = st.context.cookies.get(COOKIE)
    return value if isinstance(value, str) else None  # AppTest's stand-in client has none


def current_user() -> User | None:
    """The signed-in user as stored now, from this session's token or else the page load's
    cookie; None (the sign-in page) when there is none or it is refused."""
    state = st.session_state
    token = state.get(TOKEN_KEY)
    if token is None and not state.get(_COOKIE_READ):
        state[_COOKIE_READ] = True
        token = request_cookie()
    if not token:
        return None
    try:
        user = get_sign_ins().check(token)
    except PermissionDeniedError as exc:
        _forget(EXPIRED if isinstance(exc, SignInExpiredError) else None)
        return None
    state[TOKEN_KEY], state[USER_KEY] = token, user
    return user


def sign_in(user: User) -> None:
    """Start a sign-in for a user who has just given the right password."""
    state = st.session_state
    state[TOKEN_KEY], state[USER_KEY] = get_sign_ins().issue(user), user
    state.pop(NOTE_KEY, None)


def sign_out(user: User) -> None:
    """End the account's sign-ins (this browser's and any other's) and forget this one."""
    get_sign_ins().end(user)
    st.session_state.clear()
    st.session_state[_COOKIE_READ] = True  # the page load's cookie is the token just ended
    _forget(None)


def keep_cookie() -> None:
    """Write this session's token to the cookie, or clear the cookie once it was refused or
    ended (a script that shows nothing)."""
    state = st.session_state
    if token := state.get(TOKEN_KEY):
        seconds = max(1, int(get_sign_ins().lifetime.total_seconds()))
        _cookie_script(f"{COOKIE}={token}; Path=/; Max-Age={seconds}; SameSite=Strict")
    elif state.pop(_FORGET, False):
        _cookie_script(f"{COOKIE}=; Path=/; Max-Age=0; SameSite=Strict")


def _forget(note: str | None) -> None:
    state = st.session_state
    for key in (TOKEN_KEY, USER_KEY):
        state.pop(key, None)
    state[_FORGET] = True
    if note:
        state[NOTE_KEY] = note


def _cookie_script(cookie: str) -> None:
    # The token is base64url and dots only; json.dumps makes it a JavaScript string literal.
    st.html(
        "<script>document.cookie = "
        f'{json.dumps(cookie)} + (location.protocol === "https:" ? "; Secure" : "");</script>',
        unsafe_allow_javascript=True,
    )
