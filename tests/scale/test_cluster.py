"""Several workers behind nginx: the launcher's checks, the nginx config, and live updates and presence across workers."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import requests

from workshop.cluster import ClusterError, check_settings, nginx_config

POSTGRES = "postgresql+psycopg://db.example.org/workshop"
REDIS = "redis://127.0.0.1:6379/0"
RESULTS = re.compile(r'id="poll-results-(\d+)"[^>]*?data-version="(\d+)".*?data-testid="voters">(\d+)<', re.S)


def test_one_worker_runs_on_the_embedded_defaults():
    check_settings(1, {})


def test_several_workers_need_postgresql_and_a_redis_queue():
    with pytest.raises(ClusterError, match="need PostgreSQL"):
        check_settings(2, {"WORKSHOP_MESSAGE_QUEUE": REDIS})
    with pytest.raises(ClusterError, match="need PostgreSQL"):
        check_settings(2, {"WORKSHOP_DATABASE_URL": "sqlite:////tmp/workshop.db", "WORKSHOP_MESSAGE_QUEUE": REDIS})
    with pytest.raises(ClusterError, match="shared message queue"):
        check_settings(3, {"WORKSHOP_DATABASE_URL": POSTGRES})
    with pytest.raises(ClusterError, match="at least 1"):
        check_settings(0, {})
    check_settings(2, {"WORKSHOP_DATABASE_URL": POSTGRES, "WORKSHOP_MESSAGE_QUEUE": REDIS})


def test_the_nginx_config_keeps_clients_on_a_worker_by_whole_address_and_upgrades_websockets(tmp_path):
    config = nginx_config("127.0.0.1:8000", [8001, 8002], tmp_path, 25)
    directives = [line.strip() for line in config.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert "hash $remote_addr consistent;" in directives
    assert not any(line.startswith("ip_hash") for line in directives)
    assert [line for line in directives if line.startswith("server 127.0.0.1:")] == [
        "server 127.0.0.1:8001 max_fails=1 fail_timeout=5s;", "server 127.0.0.1:8002 max_fails=1 fail_timeout=5s;"]
    assert "proxy_set_header Upgrade $http_upgrade;" in directives
    assert "proxy_set_header Connection $connection_upgrade;" in directives
    assert "listen 127.0.0.1:8000;" in directives
    assert "client_max_body_size 26m;" in directives  # the app's own limit decides, with room for the form around it
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if shutil.which(nginx):
        (tmp_path / "nginx.conf").write_text(config)
        checked = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                                 capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr


def results_seen(tab) -> list[tuple[int, int, int]]:
    with tab.lock:
        return [(int(p), int(v), int(n)) for f in tab.fragments for p, v, n in RESULTS.findall(f)]


def test_a_vote_on_one_worker_reaches_a_page_on_the_other_and_both_count_everyone_online(scene):
    s = scene(workers=2, participants=3)
    first, second = s.cluster.worker_ports
    voter = s.open_tab(0, port=first)
    watcher = s.open_tab(1, port=second)
    # Presence lives where every worker sees it: each page counts both people, whichever worker it is on.
    watcher.wait_for(lambda: watcher.online_counts()[-1:] == [2], what="2 online on the second worker")
    voter.wait_for(lambda: voter.online_counts()[-1:] == [2], what="2 online on the first worker")

    ack = voter.client.call("vote", {"poll": s.poll_id, "answer": {"option": s.options[1]}}, timeout=10)
    assert ack["ok"] is True
    watcher.wait_for(lambda: any(v >= ack["version"] and n == 1 for p, v, n in results_seen(watcher) if p == s.poll_id),
                     what="the vote's tally on the other worker")

    health = requests.get(s.url + "/healthz", timeout=5)
    assert health.status_code == 200

    watcher.client.disconnect()
    voter.wait_for(lambda: voter.online_counts()[-1:] == [1], what="1 online after the other left")
