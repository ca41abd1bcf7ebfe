import pickle

import pytest

from toolkit.secrets import Secret, scrub


def test_secret_never_shows_itself():
    s = Secret("AIza-test-secret-value")
    assert "AIza" not in repr(s) and "AIza" not in str(s) and "AIza" not in f"{s}"
    assert s.reveal() == "AIza-test-secret-value"
    with pytest.raises(TypeError):
        pickle.dumps(s)


def test_scrub_removes_registered_secrets():
    Secret("another-secret-123")
    assert scrub("key=another-secret-123&x=1") == "key=<redacted>&x=1"
    assert scrub(None) is None
