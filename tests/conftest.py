"""Shared fixtures: a moto HTTP server on loopback, an environment pointed at it, and a network guard.

The guard is autouse: any connection that leaves loopback fails the test, so no test can quietly depend on
the internet or on a real AWS account.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

from auditpack.emulator.server import CLEARED_ENV, Emulator
from tests.assessment_schema import assessment_json_matches_schema  # noqa: F401  (autouse: every test)

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_loopback(address: object) -> bool:
    if isinstance(address, str | bytes):  # unix socket path
        return True
    if not isinstance(address, tuple) or not address:
        return False
    host = address[0]
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded(real):
    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise ConnectionRefusedError(f"test tried to reach {address!r}: only loopback is allowed")
        return real(self, address)

    return connect


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded(_real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded(_real_connect_ex))


@pytest.fixture(autouse=True)
def private_config_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fingerprint keys and other user config go to a temporary folder, never the developer's home."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg")))


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Emulator]:
    server = Emulator()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def aws(emulator_server: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """A clean emulated account, with this process' AWS configuration pointed at it."""
    emulator_server.reset()
    for key in CLEARED_ENV:
        monkeypatch.delenv(key, raising=False)
    for key, value in emulator_server.environment().items():
        monkeypatch.setenv(key, value)
    yield emulator_server


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "pack"
