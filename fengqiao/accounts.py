"""Staff accounts for the console: roles, scrypt-hashed passwords, sign-in.

Roles and their permissions are declared in fengqiao/policy.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from fengqiao import errors, policy
from fengqiao.cases import audit, masking
from fengqiao.cases.parties import normal_phone
from fengqiao.cases.rules import load_config
from fengqiao.passwords import password_problem
from fengqiao.settings import Settings
from fengqiao.signin import SignInThrottle
from fengqiao.storage.db import Database
from fengqiao.storage.models import Organisation, StaffUser, utcnow

# Roles and what each may do are the access policy's (fengqiao/policy.py).
ROLES = policy.ROLES
ROLE_NAMES = policy.ROLE_NAMES

# scrypt parameters: n=2**14, r=8 is ~16 MiB and ~50 ms: slow for guessing, fine for sign-in.
_N, _R, _P = 2**14, 8, 1


class AccountError(ValueError):
    pass


@dataclass(frozen=True)
class Staff:
    id: int
    username: str
    display_name: str
    role: str
    organisation: str | None
    phone: str | None = None

    def can(self, permission: str) -> bool:
        """Whether the role holds ``permission`` at all (on some case, for scoped ones)."""
        return policy.staff_scope(self.role, permission) is not None

    @property
    def actor(self) -> str:
        return f"staff:{self.username}"


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


# A hash to check against when the user does not exist, so timing does not reveal usernames.
_DUMMY = hash_password(secrets.token_urlsafe(12))


def check_new_password(password: str, username: str) -> None:
    """Raise AccountError (Chinese / English) unless `password` may be set for `username`:
    every place that sets a password calls this first (see fengqiao.passwords)."""
    problem = password_problem(password, username)
    if problem is not None:
        raise AccountError(problem)


def _staff(row: StaffUser) -> Staff:
    return Staff(row.id, row.username, row.display_name, row.role, row.organisation, row.phone)


async def create_user(
    db: Database,
    username: str,
    password: str,
    role: str,
    *,
    display_name: str | None = None,
    organisation: str | None = None,
    openid: str | None = None,
    phone: str | None = None,
    actor: str = "cli",
) -> Staff:
    if role not in ROLES:
        names = ", ".join(ROLES)
        raise AccountError(f"角色只能是 {names} / role must be one of {names}")
    username = username.strip()
    if not username:
        raise AccountError("用户名不能为空 / username is empty")
    check_new_password(password, username)
    try:
        staff_phone = normal_phone(phone or "") or None
    except errors.Invalid as exc:
        raise AccountError(f"{exc.message} / bad phone number") from None
    try:
        async with db.transaction() as session:
            row = StaffUser(
                username=username,
                display_name=display_name or username,
                role=role,
                organisation=organisation,
                password_hash=hash_password(password),
                openid=openid,
                phone=staff_phone,
                active=True,
            )
            session.add(row)
            await session.flush()
            await audit.append(
                session,
                case_id=None,
                actor=actor,
                action="user.created",
                detail={"username": username, "role": role, "organisation": organisation},
            )
            return _staff(row)
    except IntegrityError:
        raise AccountError(f"用户 {username} 已存在 / user {username} already exists") from None


async def authenticate(db: Database, username: str, password: str) -> Staff | None:
    async with db.read() as session:
        row = await session.scalar(select(StaffUser).where(StaffUser.username == username.strip()))
    if row is None or not row.active:
        check_password(password, _DUMMY)
        return None
    return _staff(row) if check_password(password, row.password_hash) else None


@dataclass(frozen=True)
class SignIn:
    """What a sign-in came to: the user, or None; `wait_seconds` > 0 when it was refused
    unchecked because the account or the address is locked (see fengqiao.signin)."""

    user: Staff | None
    wait_seconds: int = 0


async def sign_in(
    db: Database,
    throttle: SignInThrottle,
    username: str,
    password: str,
    address: str | None,
) -> SignIn:
    """`authenticate` behind the sign-in throttle. Every failure and every refusal goes into
    the audit log, with the address and the name as typed; so does every success."""
    typed = masking.text(username.strip()[:64])  # a phone number used as a name is masked
    decision = await throttle.attempt(username, address)
    if not decision.allowed:
        await _audit_sign_in(
            db,
            "anonymous",
            "signin.refused",
            {
                "username": typed,
                "address": _address(address),
                "locked": decision.scope,
                "wait_seconds": decision.wait_seconds,
            },
        )
        return SignIn(None, decision.wait_seconds)
    user = await authenticate(db, username, password)
    if user is None:
        after = await throttle.failed(decision)
        await _audit_sign_in(
            db,
            "anonymous",
            "signin.failed",
            {"username": typed, "address": _address(address), "locked": after.scope},
        )
        return SignIn(None)
    await throttle.succeeded(decision)
    await _audit_sign_in(db, user.actor, "signin.succeeded", {"address": _address(address)})
    return SignIn(user)


def _address(address: str | None) -> str:
    return (address or "unknown")[:64]


async def _audit_sign_in(db: Database, actor: str, action: str, detail: dict[str, object]) -> None:
    async with db.transaction() as session:
        await audit.append(session, case_id=None, actor=actor, action=action, detail=detail)


async def get_user(db: Database, user_id: int, *, started: float | None = None) -> Staff | None:
    """The active account behind a console session; None when it is disabled, or when the
    session (started at epoch seconds `started`) began before its sessions were ended."""
    async with db.read() as session:
        row = await session.get(StaffUser, user_id)
    if row is None or not row.active:
        return None
    if started is not None and row.sessions_from is not None:
        if started < row.sessions_from.timestamp():
            return None
    return _staff(row)


async def known_organisations(db: Database, settings: Settings) -> list[str]:
    """The organisations a console account may belong to: the centre itself, those cases are
    routed to (config/routing.toml) and the mediation organisations in the registry."""
    names = [settings.centre_name, *load_config(settings.config_dir).organisations()]
    async with db.read() as session:
        names += (await session.scalars(select(Organisation.name).where(
            Organisation.active.is_(True)).order_by(Organisation.id))).all()
    return list(dict.fromkeys(names))


async def check_organisation(db: Database, settings: Settings, organisation: str | None) -> None:
    if organisation is None:
        return
    known = await known_organisations(db, settings)
    if organisation.strip() not in known:
        listed = "、".join(known)
        raise AccountError(
            f"组织“{organisation}”不存在，已有的组织：{listed} / unknown organisation "
            f"{organisation!r}; known: {', '.join(known)}")


async def _account(session: Any, username: str) -> StaffUser:
    row = await session.scalar(select(StaffUser).where(StaffUser.username == username.strip()))
    if row is None:
        raise AccountError(f"用户 {username} 不存在 / no user {username}")
    return cast(StaffUser, row)


async def set_active(db: Database, username: str, active: bool, *, actor: str = "cli") -> Staff:
    """Disable an account (it cannot sign in and its console sessions end at once) or enable
    it again (old sessions stay ended: it signs in anew)."""
    async with db.transaction() as session:
        row = await _account(session, username)
        row.active = active
        if not active:
            row.sessions_from = utcnow()
        await audit.append(session, case_id=None, actor=actor,
                           action="user.enabled" if active else "user.disabled",
                           detail={"username": row.username})
        return _staff(row)


async def reset_password(db: Database, username: str, password: str, *, actor: str = "cli"
                         ) -> Staff:
    """Set a new password (the same rules as for a new account); the account's console
    sessions end, so whoever knew the old password is signed out."""
    async with db.transaction() as session:
        row = await _account(session, username)
        check_new_password(password, row.username)
        row.password_hash = hash_password(password)
        row.sessions_from = utcnow()
        await audit.append(session, case_id=None, actor=actor, action="user.password_reset",
                           detail={"username": row.username})
        return _staff(row)


def _ask_password() -> str | None:
    import getpass

    password = getpass.getpass("密码 / password: ")
    if getpass.getpass("再次输入 / again: ") != password:
        print("两次输入的密码不一致 / passwords differ")
        return None
    return password


def _run(work: Callable[[Database, Settings], Awaitable[Staff]]) -> Staff | None:
    """Run one account change against the configured database; print refusals."""
    import asyncio

    from fengqiao.storage.migrate import upgrade

    settings = Settings.from_env()
    upgrade(settings.effective_database_url)

    async def run() -> Staff:
        db = Database(settings.effective_database_url)
        try:
            return await work(db, settings)
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except AccountError as exc:
        print(f"error: {exc}")
        return None


def add_user_command(
    username: str,
    role: str,
    password: str | None,
    display_name: str | None,
    organisation: str | None,
    phone: str | None = None,
) -> int:
    """`fengqiao users add --role ROLE NAME`: prompts for the password when not given; an
    organisation must be one the platform knows (`known_organisations`)."""
    if password is None:
        password = _ask_password()
        if password is None:
            return 1
    chosen = password

    async def work(db: Database, settings: Settings) -> Staff:
        await check_organisation(db, settings, organisation)
        return await create_user(db, username, chosen, role, display_name=display_name,
                                 organisation=organisation and organisation.strip(),
                                 phone=phone)

    user = _run(work)
    if user is None:
        return 1
    print(f"created {user.role} {user.username}")
    return 0


def set_active_command(username: str, active: bool) -> int:
    """`fengqiao users disable|enable NAME`."""
    user = _run(lambda db, _settings: set_active(db, username, active))
    if user is None:
        return 1
    print(f"{'enabled' if active else 'disabled'} {user.username}")
    return 0


def reset_password_command(username: str, password: str | None) -> int:
    """`fengqiao users reset-password NAME`: prompts for the new password when not given."""
    if password is None:
        password = _ask_password()
        if password is None:
            return 1
    chosen = password
    user = _run(lambda db, _settings: reset_password(db, username, chosen))
    if user is None:
        return 1
    print(f"password reset for {user.username}; their console sessions have ended")
    return 0
