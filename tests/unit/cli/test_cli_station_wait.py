"""`recall station send --wait` needs the station account's token before it sends anything."""

from __future__ import annotations

import pytest

from schemas.signing import StationCredential

from .support import Invoke


def test_wait_without_an_api_token_is_refused_before_sending(
    recall_cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    credential = StationCredential("ST-TY-1", 1, bytes(32)).to_text()
    monkeypatch.setenv("RECALL_STATION_KEY", credential)
    monkeypatch.delenv("RECALL_API_TOKEN", raising=False)
    result = recall_cli("station", "send", "-", "--wait", "5")
    assert result.exit_code != 0
    assert "RECALL_API_TOKEN" in result.output
    assert "sent" not in result.output
