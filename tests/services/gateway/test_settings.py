"""The gateway's settings keep the operator key secret and refuse a short one (issue 28, item 10)."""

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from services.gateway import keys
from services.gateway.app import create_app
from services.gateway.settings import MIN_OPERATOR_KEY_LENGTH, GatewaySettings
from shared.messaging.memory import InMemoryBus
from shared.operator_key import operator_key

LONG_KEY = "k" * MIN_OPERATOR_KEY_LENGTH


def test_a_short_operator_key_is_refused_with_what_to_do_and_without_the_key(monkeypatch, tmp_path):
    monkeypatch.setenv("SCIMFLOW_OPERATOR_KEY", "hunter2-is-short")
    with pytest.raises(ValidationError) as refused:
        GatewaySettings(data_dir=tmp_path)
    assert "SCIMFLOW_OPERATOR_KEY must be at least 32 characters" in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_a_long_enough_key_is_taken_and_the_generated_one_is_long_enough(tmp_path):
    assert GatewaySettings(operator_key=LONG_KEY).operator_key.get_secret_value() == LONG_KEY
    assert len(operator_key(None, tmp_path)) >= MIN_OPERATOR_KEY_LENGTH


def test_the_operator_key_never_prints(tmp_path):
    settings = GatewaySettings(data_dir=tmp_path, operator_key=LONG_KEY)
    assert LONG_KEY not in repr(settings) and LONG_KEY not in str(settings)
    assert LONG_KEY not in settings.model_dump_json()


def test_the_app_guards_the_admin_api_with_the_configured_key(tmp_path):
    app = create_app(GatewaySettings(data_dir=tmp_path, operator_key=LONG_KEY), bus=InMemoryBus())
    assert app[keys.OPERATOR_KEY] == LONG_KEY


def test_the_gateway_refuses_to_start_with_a_short_key_in_words_not_a_traceback(tmp_path):
    started = subprocess.run([sys.executable, "-m", "services.gateway"], capture_output=True, text=True, timeout=60,
                             check=False,
                             env={**os.environ, "SCIMFLOW_OPERATOR_KEY": "hunter2-is-short",
                                  "SCIMFLOW_DATA_DIR": str(tmp_path)})
    assert started.returncode == 1 and "Traceback" not in started.stderr
    assert "refusing to start" in started.stderr and "at least 32 characters" in started.stderr
    assert "hunter2" not in started.stderr
