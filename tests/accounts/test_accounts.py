import pytest

from fengqiao.accounts import (
    AccountError,
    add_user_command,
    authenticate,
    check_password,
    create_user,
    hash_password,
)


def test_passwords_are_salted_scrypt_hashes():
    a, b = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert a != b and a.startswith("scrypt$") and "correct" not in a
    assert check_password("correct horse battery", a)
    assert not check_password("correct horse batterY", a)
    assert not check_password("x", "not-a-hash")


async def test_create_and_authenticate(services):
    user = await create_user(services.db, "admin", "a-long-password", "admin")
    assert user.can("users.manage") and user.actor == "staff:admin"
    with pytest.raises(AccountError):
        await create_user(services.db, "admin", "another-password", "admin")
    with pytest.raises(AccountError):
        await create_user(services.db, "short", "short", "staff")
    with pytest.raises(AccountError):
        await create_user(services.db, "x", "a-long-password", "superuser")
    assert (await authenticate(services.db, "admin", "a-long-password")).id == user.id
    assert await authenticate(services.db, "admin", "wrong-password") is None
    assert await authenticate(services.db, "nobody", "a-long-password") is None
    report = await services.cases.verify_audit()
    assert report.ok and report.entries == 1  # the account creation is audited


def test_users_add_command_creates_the_first_admin(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FENGQIAO_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("FENGQIAO_DATABASE_URL", raising=False)
    assert add_user_command("root", "admin", "a-long-password", "管理员", None) == 0
    assert "created admin root" in capsys.readouterr().out
    assert add_user_command("root", "admin", "a-long-password", None, None) == 1


def test_users_commands_disable_enable_reset_and_check_the_organisation(
    tmp_path, monkeypatch, capsys
):
    import asyncio

    from fengqiao.cli import main
    from fengqiao.settings import Settings
    from fengqiao.storage.db import Database

    monkeypatch.setenv("FENGQIAO_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("FENGQIAO_DATABASE_URL", raising=False)
    add = ["users", "add", "--role", "mediator", "--password", "a-long-password", "zhao"]
    assert main([*add, "--organisation", "NOPE"]) == 1
    out = capsys.readouterr().out
    assert "组织“NOPE”不存在" in out and "县劳资纠纷调解室" in out and "县综治中心" in out
    assert main([*add, "--organisation", "县劳资纠纷调解室"]) == 0
    capsys.readouterr()

    async def signs_in(password: str) -> bool:
        db = Database(Settings.from_env().effective_database_url)
        try:
            return await authenticate(db, "zhao", password) is not None
        finally:
            await db.dispose()

    assert main(["users", "disable", "zhao"]) == 0
    assert "disabled zhao" in capsys.readouterr().out
    assert not asyncio.run(signs_in("a-long-password"))
    assert main(["users", "enable", "zhao"]) == 0
    assert asyncio.run(signs_in("a-long-password"))
    assert main(["users", "reset-password", "zhao", "--password", "123"]) == 1
    assert main(["users", "reset-password", "zhao", "--password", "another-long-secret"]) == 0
    assert not asyncio.run(signs_in("a-long-password"))
    assert asyncio.run(signs_in("another-long-secret"))
    assert main(["users", "disable", "nobody"]) == 1
    assert "用户 nobody 不存在" in capsys.readouterr().out
