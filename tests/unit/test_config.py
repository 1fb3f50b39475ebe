"""Settings: DATABASE_URL schemes and the generated secret key."""

import pytest

from app.config import ConfigError, database_url, secret_key


def test_default_is_sqlite_in_instance(monkeypatch, tmp_path):
    monkeypatch.setenv("DMS_INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url() == f"sqlite:///{tmp_path / 'dms.db'}"


def test_postgres_urls_use_psycopg3():
    assert database_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize("url", ["mysql://x/y", "oracle://a", "nonsense"])
def test_unknown_scheme_is_one_clear_line(url):
    with pytest.raises(ConfigError) as err:
        database_url(url)
    assert "DATABASE_URL" in str(err.value) and "\n" not in str(err.value)


def test_secret_key_is_generated_once(monkeypatch, tmp_path):
    monkeypatch.setenv("DMS_INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = secret_key()
    assert len(first) == 64 and secret_key() == first
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert secret_key() == "from-env"


def test_upload_limits_default_to_10_mib_and_refuse_nonsense(monkeypatch, tmp_path):
    from app.config import load_config

    monkeypatch.setenv("DMS_INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("DMS_UPLOAD_MAX_BYTES", raising=False)
    monkeypatch.delenv("DMS_MAX_REQUEST_BYTES", raising=False)
    config = load_config()
    assert config["DMS_UPLOAD_MAX_BYTES"] == 10 * 1024 * 1024
    assert config["MAX_CONTENT_LENGTH"] == 40 * 1024 * 1024
    assert config["DMS_UPLOAD_DIR"] == str(tmp_path / "uploads")
    monkeypatch.setenv("DMS_UPLOAD_MAX_BYTES", "ten megs")
    with pytest.raises(ConfigError) as err:
        load_config()
    assert "DMS_UPLOAD_MAX_BYTES" in str(err.value)


def test_gc_threshold_default_setting_and_refusal(monkeypatch, tmp_path):
    from app.config import load_config

    monkeypatch.setenv("DMS_INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("DMS_GC_THRESHOLD", raising=False)
    assert load_config()["DMS_GC_THRESHOLD"] == (20000, 50, 100)
    monkeypatch.setenv("DMS_GC_THRESHOLD", "default")
    assert load_config()["DMS_GC_THRESHOLD"] is None
    monkeypatch.setenv("DMS_GC_THRESHOLD", "5000,10")
    with pytest.raises(ConfigError) as err:
        load_config()
    assert "DMS_GC_THRESHOLD" in str(err.value) and "5000,10" in str(err.value)
