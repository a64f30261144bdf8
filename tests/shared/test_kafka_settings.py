"""The Kafka security settings read from the environment (shared/settings.py): what every process refuses
to start on, with what message, and that secrets stay out of sight."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from pydantic import SecretStr

from shared.devtools import REPO_ROOT
from shared.messaging.kafka import KafkaBus
from shared.messaging.security import KafkaClientSecurity
from shared.settings import CommonSettings, from_environment
from tests.support.tls import new_ca

SECRET = "s3cret-never-shown"
SASL_ENV = {"SCIMFLOW_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "SCIMFLOW_KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
            "SCIMFLOW_KAFKA_SASL_USERNAME": "user_store", "SCIMFLOW_KAFKA_SASL_PASSWORD": SECRET}


@pytest.fixture
def environment(monkeypatch):
    def set_all(values: dict[str, str]) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
    return set_all


def test_the_environment_gives_every_client_setting(environment, tmp_path):
    ca = new_ca(tmp_path)
    environment({**SASL_ENV, "SCIMFLOW_KAFKA_SSL_CA_FILE": str(ca.cert)})
    settings = from_environment(CommonSettings)
    assert settings.kafka_security() == KafkaClientSecurity(
        "SASL_SSL", "SCRAM-SHA-256", "user_store", SecretStr(SECRET), ca_file=ca.cert)
    assert SECRET not in repr(settings) and SECRET not in str(settings.model_dump())


def test_the_default_is_plaintext_as_before():
    assert CommonSettings().kafka_security() == KafkaClientSecurity()


def test_a_service_bus_is_made_with_the_settings_security(environment, tmp_path):
    environment({**SASL_ENV, "SCIMFLOW_KAFKA_SSL_CA_FILE": str(new_ca(tmp_path).cert)})
    settings = CommonSettings()
    bus = KafkaBus.configured(settings, client_id="user_store/test")
    assert bus.security == settings.kafka_security()
    assert bus.bootstrap_servers == settings.kafka_bootstrap_servers


def test_a_login_without_its_password_refuses_to_start(environment):
    environment({name: value for name, value in SASL_ENV.items() if name != "SCIMFLOW_KAFKA_SASL_PASSWORD"})
    with pytest.raises(SystemExit) as refused:
        from_environment(CommonSettings)
    assert "refusing to start" in str(refused.value) and "needs SCIMFLOW_KAFKA_SASL_PASSWORD" in str(refused.value)


def test_a_ca_file_that_is_not_there_refuses_to_start(environment, tmp_path):
    environment({"SCIMFLOW_KAFKA_SECURITY_PROTOCOL": "SSL", "SCIMFLOW_KAFKA_SSL_CA_FILE": str(tmp_path / "no.pem")})
    with pytest.raises(SystemExit, match="kafka_ssl_ca_file"):
        from_environment(CommonSettings)


def test_an_unknown_mechanism_refuses_to_start(environment):
    environment({**SASL_ENV, "SCIMFLOW_KAFKA_SASL_MECHANISM": "GSSAPI"})
    with pytest.raises(SystemExit, match="kafka_sasl_mechanism"):
        from_environment(CommonSettings)


#: Runs each process's `python -m` entry point (sys.argv[1:]) in one interpreter (a new one per process cost
#: ~1.5 s of CPU importing the same libraries) and prints, per process, how it ended: the SystemExit's code
#: and message (what `python -m` would print, exit 1 for a message), or the exception it raised instead.
ENTRY_POINTS_ENDING = """
import json, runpy, sys
for module in sys.argv[1:]:
    try:
        runpy.run_module(module, run_name="__main__")
        ended = {"module": module, "exit": None}
    except SystemExit as stop:
        ended = {"module": module, "exit": 1 if isinstance(stop.code, str) else stop.code, "said": str(stop.code)}
    except BaseException as error:
        ended = {"module": module, "exit": None, "raised": type(error).__name__}
    print(json.dumps(ended))
"""
ENTRY_POINTS = ["services.gateway", "services.user_store", "services.seat_allocator", "services.sync_status",
                "services.notifier", "services.webhooks", "services.portal"]


def test_every_process_refuses_contradictory_settings_in_one_line(tmp_path):
    env = {**os.environ, **SASL_ENV, "SCIMFLOW_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT",
           "SCIMFLOW_DATA_DIR": str(tmp_path), "PYTHONPATH": str(REPO_ROOT)}
    run = subprocess.run([sys.executable, "-c", ENTRY_POINTS_ENDING, *ENTRY_POINTS], cwd=REPO_ROOT, env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    endings = [json.loads(line) for line in run.stdout.splitlines()]
    assert [ending["module"] for ending in endings] == ENTRY_POINTS
    for ending in endings:
        assert ending["exit"] == 1, ending  # a message: `python -m` prints it alone, no traceback
        said = ending["said"]
        assert said.startswith("scimflow: refusing to start") and "PLAINTEXT, which sends no login" in said, ending
        assert "\n" not in said.strip() and SECRET not in said, ending
