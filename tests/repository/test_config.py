from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from repository.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


class TestSettings:
    def test_every_field_is_described_and_documented_in_the_readme(self) -> None:
        documented = set(re.findall(r"`(HOCLIEU_[A-Z0-9_]+)`", README.read_text(encoding="utf-8")))
        for name, field in Settings.model_fields.items():
            assert field.description, f"{name} has no description"
            assert f"HOCLIEU_{name.upper()}" in documented, f"HOCLIEU_{name.upper()} is not in README.md"

    def test_defaults_are_the_embedded_mode(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in ("HOCLIEU_DATABASE_URL", "HOCLIEU_REDIS_URL", "HOCLIEU_OPENSEARCH_URL"):
            monkeypatch.delenv(name, raising=False)  # CI runs the suite a second time with PostgreSQL set
        s = Settings(data_dir=tmp_path)
        assert s.sqlalchemy_url == f"sqlite:///{(tmp_path / 'hoclieu.db').resolve()}"
        assert s.redis_url is None and s.opensearch_url is None

    def test_production_refuses_the_default_secret(self) -> None:
        with pytest.raises(ValidationError, match="HOCLIEU_SECRET_KEY"):
            Settings(env="production")
        assert Settings(env="production", secret_key="x" * 40).env == "production"

    def test_environment_variables_are_read(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("HOCLIEU_MAX_UPLOAD_BYTES", "1234")
        assert Settings().max_upload_bytes == 1234


class TestDescriptionsMatchBehaviour:
    """The settings whose descriptions once promised what the code did not do (issue 16)."""

    @staticmethod
    def _readme_meaning(variable: str) -> str:
        for line in README.read_text(encoding="utf-8").splitlines():
            if line.startswith(f"| `{variable}` |"):
                return line.rstrip(" |").split(" | ")[-1]
        raise AssertionError(f"{variable} has no row in README.md")

    @pytest.mark.parametrize(
        "name", ["s3_endpoint_url", "s3_bucket", "s3_access_key", "s3_secret_key", "s3_region", "secret_key"]
    )
    def test_readme_says_what_the_setting_says(self, name: str) -> None:
        assert self._readme_meaning(f"HOCLIEU_{name.upper()}") == Settings.model_fields[name].description

    def test_an_s3_endpoint_without_a_bucket_refuses_to_start(self, tmp_path: Path) -> None:
        from repository.runtime import build_runtime

        with pytest.raises(RuntimeError, match="HOCLIEU_S3_BUCKET"):
            build_runtime(Settings(data_dir=tmp_path, s3_endpoint_url="http://127.0.0.1:1"))

    def test_secret_key_keys_the_oai_resumption_tokens_as_described(self) -> None:
        from repository.oai.tokens import TokenCodec, TokenError

        assert "OAI-PMH resumption tokens" in (Settings.model_fields["secret_key"].description or "")
        minted = TokenCodec("a" * 40).dump({"cursor": 100})
        assert TokenCodec("a" * 40).load(minted)["cursor"] == 100
        with pytest.raises(TokenError):
            TokenCodec("b" * 40).load(minted)
