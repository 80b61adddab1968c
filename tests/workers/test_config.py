"""Settings that a deployment gets wrong most often say so clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.config import Settings, SettingsError


def test_an_empty_key_file_is_refused_by_name(tmp_path: Path) -> None:
    # What an unfilled Kubernetes Secret mounts (deploy/k8s/base/secrets.yaml).
    key = tmp_path / "private-key.pem"
    key.write_text("\n")
    settings = Settings(app_id=1, private_key_file=key, _env_file=None)
    with pytest.raises(SettingsError, match="private-key.pem is empty"):
        settings.require_app_credentials()
    key.write_text("-----BEGIN RSA PRIVATE KEY-----\nMII\n-----END RSA PRIVATE KEY-----\n")
    assert settings.require_app_credentials()[1].startswith("-----BEGIN")


def test_blank_settings_from_env_example_count_as_unset(tmp_path: Path) -> None:
    # `cp deploy/env.example .env` leaves IQUEST_APP_ID= and others blank.
    env = tmp_path / ".env"
    env.write_text("IQUEST_APP_ID=\nIQUEST_MODEL_API_KEY=\nIQUEST_WEBHOOK_SECRET=s3cret\n")
    settings = Settings(_env_file=env)
    assert settings.app_id is None
    assert settings.model_api_key is None
    assert settings.webhook_secret is not None
