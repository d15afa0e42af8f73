"""Settings from WORKSHOP_* variables: the secret key kept in instance/, and clear errors for bad values."""

import stat

import pytest

from workshop import config, create_app


@pytest.fixture
def no_secret(monkeypatch):
    monkeypatch.delenv("WORKSHOP_SECRET_KEY", raising=False)


def test_secret_key_is_generated_once_and_kept_private(tmp_path, no_secret):
    instance = tmp_path / "instance"
    first = config.load_secret_key(instance)
    key_file = instance / "secret_key"
    assert key_file.read_text() == first
    assert len(first) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert config.load_secret_key(instance) == first


def test_each_install_gets_its_own_key(tmp_path, no_secret):
    assert config.load_secret_key(tmp_path / "a") != config.load_secret_key(tmp_path / "b")


def test_configured_secret_key_wins_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_SECRET_KEY", "from-the-environment")
    assert config.load_secret_key(tmp_path) == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_empty_secret_key_variable_counts_as_unset(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_SECRET_KEY", "")
    key = config.load_secret_key(tmp_path)
    assert key and (tmp_path / "secret_key").read_text() == key


def test_sessions_signed_before_a_restart_are_still_valid_after_it(tmp_path, no_secret, monkeypatch):
    monkeypatch.setenv("WORKSHOP_INSTANCE_PATH", str(tmp_path))
    settings = {"ASYNC_MODE": "threading", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    before, after = create_app(settings), create_app(settings)
    cookie = before.session_interface.get_signing_serializer(before).dumps({"_user_id": "7.1"})
    assert after.session_interface.get_signing_serializer(after).loads(cookie) == {"_user_id": "7.1"}


@pytest.mark.parametrize("mode", ["gevent", "eventlet", "threading"])
def test_known_async_modes_are_accepted(tmp_path, monkeypatch, mode):
    monkeypatch.setenv("WORKSHOP_ASYNC_MODE", mode)
    assert config.settings_from_env(tmp_path)["ASYNC_MODE"] == mode


@pytest.mark.parametrize("mode", ["asyncio", "GEVENT", "gevent "])
def test_unknown_async_mode_is_a_clear_error(tmp_path, monkeypatch, mode):
    monkeypatch.setenv("WORKSHOP_ASYNC_MODE", mode)
    with pytest.raises(RuntimeError, match="WORKSHOP_ASYNC_MODE must be one of gevent, eventlet, threading"):
        config.settings_from_env(tmp_path)
    with pytest.raises(RuntimeError, match="WORKSHOP_ASYNC_MODE"):
        create_app()


@pytest.mark.parametrize("name", ["MAX_UPLOAD_MB", "LOGIN_ATTEMPTS_PER_MINUTE", "INVITE_DAYS", "SMTP_PORT"])
def test_number_settings_that_are_not_numbers_are_a_clear_error(tmp_path, monkeypatch, name):
    monkeypatch.setenv(f"WORKSHOP_{name}", "lots")
    with pytest.raises(RuntimeError, match=f"WORKSHOP_{name} must be a whole number, got 'lots'"):
        config.settings_from_env(tmp_path)


def test_defaults_work_on_a_laptop(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "MESSAGE_QUEUE", "SECURE_COOKIES", "ASYNC_MODE", "LOGIN_ATTEMPTS_PER_MINUTE"):
        monkeypatch.delenv(f"WORKSHOP_{name}", raising=False)
    settings = config.settings_from_env(tmp_path)
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'workshop.db'}"
    assert settings["ASYNC_MODE"] == "gevent"
    assert settings["MESSAGE_QUEUE"] is None
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["LOGIN_ATTEMPTS_PER_MINUTE"] == 10


@pytest.mark.parametrize("value, secure", [("true", True), ("1", True), ("on", True), ("false", False), ("0", False)])
def test_secure_cookies_setting(tmp_path, monkeypatch, value, secure):
    monkeypatch.setenv("WORKSHOP_SECURE_COOKIES", value)
    settings = config.settings_from_env(tmp_path)
    assert settings["SESSION_COOKIE_SECURE"] is secure
    assert settings["REMEMBER_COOKIE_SECURE"] is secure


def test_empty_key_file_is_replaced_by_a_real_key(tmp_path, no_secret):
    (tmp_path / "secret_key").write_text("")
    key = config.load_secret_key(tmp_path)
    assert len(key) >= 32
    assert config.load_secret_key(tmp_path) == key
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
