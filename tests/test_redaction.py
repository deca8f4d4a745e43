from __future__ import annotations

from deploy_dsl.redaction import HIDDEN, redact


def test_secret_named_keys_and_known_secrets_are_hidden() -> None:
    value = {
        "http_request": {
            "headers": {"Authorization": "Bearer abc", "X-Api-Key": "k", "Accept": "json"},
            "body": {"password": "hunter2", "scope": "svc-a", "note": "uses s3cr3t-value here"},
        },
        "tokens": [],
        "list": [{"client_secret": "x"}, "s3cr3t-value"],
        "empty_token": "",
    }
    shown = redact(value, ["s3cr3t-value", "abc"])
    assert shown["http_request"]["headers"] == {
        "Authorization": HIDDEN, "X-Api-Key": HIDDEN, "Accept": "json"
    }  # fmt: skip
    body = shown["http_request"]["body"]
    assert body == {"password": HIDDEN, "scope": "svc-a", "note": f"uses {HIDDEN} here"}
    assert shown["tokens"] == HIDDEN
    assert shown["list"] == [{"client_secret": HIDDEN}, HIDDEN]
    assert shown["empty_token"] == ""  # nothing to hide
    assert value["http_request"]["body"]["password"] == "hunter2", "the original is untouched"


def test_short_secrets_are_not_searched_for_in_text() -> None:
    assert redact({"note": "abc def"}, ["abc"]) == {"note": "abc def"}
