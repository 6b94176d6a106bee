"""A local AWS emulator (moto's HTTP server) for the demo, the tests and the benchmarks.

It runs in the calling process on a loopback port, so seeding code can backdate resources with a frozen
clock, and the scan reaches it exactly as it reaches AWS: through boto3 and ``AWS_ENDPOINT_URL``. What moto
lacks is added in process by ``auditpack.emulator.extensions``, installed before the server starts.
"""

from __future__ import annotations

import logging
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from auditpack.errors import UserError

EMULATOR_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
# Variables that would point a scan somewhere else than the emulator.
CLEARED_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
               "AWS_CA_BUNDLE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE")


class Emulator:
    def __init__(self) -> None:
        # Without this, each EC2 region preloads 1,301 AMIs and snapshots (slow, and false positives).
        os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # request lines are noise on stderr
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as exc:
            raise UserError("the emulator needs moto: pip install 'auditpack[demo]'") from exc
        from auditpack.emulator.extensions import install_all

        install_all()  # before the server answers anything: moto builds a service's routes on its first request
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.endpoint = ""

    def start(self) -> str:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=10) as reply:
            if reply.status != 200:
                raise RuntimeError(f"emulator did not start: HTTP {reply.status}")
        return self.endpoint

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30):
            pass

    def seed(self, value: int) -> None:
        """Make the emulator's generated ids (account ids, ARNs' random parts, detector ids) repeatable.

        moto draws every id from one random generator; seeding it right before a seeding phase gives the same
        ids on every run, which the demo's pack (and its golden test) rely on. Scans draw from it too (request
        ids), so each phase is seeded again rather than once.
        """
        request = urllib.request.Request(f"{self.endpoint}/moto-api/seed?a={int(value)}", method="POST")
        with urllib.request.urlopen(request, timeout=30):
            pass

    def stop(self) -> None:
        self._server.stop()

    def environment(self) -> dict[str, str]:
        """Environment under which boto3, and so a scan, talks to this emulator only."""
        return {**EMULATOR_ENV, "AWS_ENDPOINT_URL": self.endpoint}


@contextmanager
def running_emulator(set_environment: bool = True) -> Iterator[Emulator]:
    """Start an emulator; with ``set_environment``, point this process' AWS configuration at it."""
    emulator = Emulator()
    emulator.start()
    emulator.reset()  # moto keeps state per process: a new emulator must not inherit an earlier one's accounts
    saved = {k: os.environ.get(k) for k in (*emulator.environment(), *CLEARED_ENV)}
    try:
        if set_environment:
            for key in CLEARED_ENV:
                os.environ.pop(key, None)
            os.environ.update(emulator.environment())
        yield emulator
    finally:
        if set_environment:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        emulator.stop()
