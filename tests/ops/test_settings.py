"""The operations settings: presence follows a Redis message queue, and bad values are clear errors."""

import pytest

from workshop import config


@pytest.fixture
def env(monkeypatch):
    for name in ("MESSAGE_QUEUE", "PRESENCE_URL", "PRESENCE_HEARTBEAT_SECONDS", "PRESENCE_EXPIRY_SECONDS"):
        monkeypatch.delenv(f"WORKSHOP_{name}", raising=False)
    return lambda name, value: monkeypatch.setenv(f"WORKSHOP_{name}", value)


def test_presence_stays_in_the_process_without_a_redis_queue(env, tmp_path):
    assert config.settings_from_env(tmp_path)["PRESENCE_URL"] is None
    env("MESSAGE_QUEUE", "amqp://guest@127.0.0.1//")
    assert config.settings_from_env(tmp_path)["PRESENCE_URL"] is None


def test_presence_goes_to_the_redis_message_queue_or_its_own(env, tmp_path):
    env("MESSAGE_QUEUE", "redis://127.0.0.1:6379/0")
    assert config.settings_from_env(tmp_path)["PRESENCE_URL"] == "redis://127.0.0.1:6379/0"
    env("PRESENCE_URL", "redis://127.0.0.1:6379/3")
    assert config.settings_from_env(tmp_path)["PRESENCE_URL"] == "redis://127.0.0.1:6379/3"


def test_presence_elsewhere_than_redis_is_a_clear_error(env, tmp_path):
    env("PRESENCE_URL", "memcached://127.0.0.1")
    with pytest.raises(RuntimeError, match="WORKSHOP_PRESENCE_URL must be a redis:// URL"):
        config.settings_from_env(tmp_path)


@pytest.mark.parametrize("heartbeat, expiry", [("15", "20"), ("0", "45")])
def test_an_expiry_a_missed_heartbeat_would_reach_is_a_clear_error(env, tmp_path, heartbeat, expiry):
    env("PRESENCE_HEARTBEAT_SECONDS", heartbeat)
    env("PRESENCE_EXPIRY_SECONDS", expiry)
    with pytest.raises(RuntimeError, match="at least twice WORKSHOP_PRESENCE_HEARTBEAT_SECONDS"):
        config.settings_from_env(tmp_path)
