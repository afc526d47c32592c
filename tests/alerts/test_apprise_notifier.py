from __future__ import annotations

import base64
import logging
import time

import pytest

from monitor.alerts.apprise_notifier import (
    INVALID_URL_REASON,
    AppriseNotifier,
    DeliveryResult,
    redact_url,
    validate_url,
)
from monitor.alerts.render import AlertMessage
from tests.alerts.conftest import SMTP_PASSWORD, SMTP_USER, HttpReceiver, SmtpServer

MESSAGE = AlertMessage(
    title="Monitor: 2 new matches for case K-17",
    body=(
        "2 new matches for case K-17, oldest first.\n\n"
        "1. Found 2026-11-22T10:15:00Z\n"
        "   Page: https://forum.example.net/t/1\n"
        "   Request removal: https://www.reddit.com/report\n"
        "\n"
        "Ünïcode stays intact: é ✓"
    ),
)


def test_json_delivery_reaches_a_real_receiver(http_receiver: HttpReceiver) -> None:
    url = http_receiver.apprise_url("hooks/monitor")

    results = AppriseNotifier().send(urls=[url], message=MESSAGE)

    assert results == [
        DeliveryResult(target=f"json://127.0.0.1:{http_receiver.port}/***", ok=True, error=None)
    ]
    [post] = http_receiver.posts
    assert post.path == "/hooks/monitor"
    assert post.headers["Content-Type"] == "application/json"
    payload = post.json()
    assert payload["title"] == MESSAGE.title
    assert payload["message"] == MESSAGE.body
    assert payload["type"] == "info"
    assert payload["attachments"] == []


def test_json_credentials_are_sent_but_never_shown(http_receiver: HttpReceiver) -> None:
    url = http_receiver.apprise_url("secret-path-123", credentials="alice:pa55-word")

    [result] = AppriseNotifier().send(urls=[url], message=MESSAGE)

    assert result.ok
    expected_auth = "Basic " + base64.b64encode(b"alice:pa55-word").decode()
    assert http_receiver.posts[0].headers["Authorization"] == expected_auth
    assert "pa55-word" not in result.target
    assert "secret-path-123" not in result.target
    assert "alice" not in result.target


def test_email_reaches_a_real_smtp_server(smtp_server: SmtpServer) -> None:
    [result] = AppriseNotifier().send(urls=[smtp_server.apprise_url()], message=MESSAGE)

    assert result == DeliveryResult(
        target=f"mailto://127.0.0.1:{smtp_server.port}/***", ok=True, error=None
    )
    assert smtp_server.logins == [(SMTP_USER, SMTP_PASSWORD)]
    assert smtp_server.envelopes == [("monitor@example.org", ["ally@example.org"])]
    [mail] = smtp_server.messages
    assert mail["Subject"] == MESSAGE.title
    assert mail.get_content_type() == "text/plain"  # one plain-text part: no HTML, no files
    assert not mail.is_multipart()
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    charset = mail.get_content_charset() or "utf-8"
    assert payload.decode(charset).replace("\r\n", "\n").strip() == MESSAGE.body


def test_email_with_a_wrong_password_fails_without_raising(smtp_server: SmtpServer) -> None:
    url = smtp_server.apprise_url(password="wrong-password")

    [result] = AppriseNotifier().send(urls=[url], message=MESSAGE)

    assert not result.ok
    assert result.error
    assert "wrong-password" not in result.error
    assert "wrong-password" not in result.target
    assert smtp_server.messages == []


def test_server_error_is_a_failed_delivery(failing_receiver: HttpReceiver) -> None:
    [result] = AppriseNotifier().send(urls=[failing_receiver.apprise_url()], message=MESSAGE)

    assert not result.ok
    assert result.error is not None
    assert "500" in result.error
    assert len(failing_receiver.posts) == 1


def test_unreachable_port_is_a_failed_delivery(unreachable_port: int) -> None:
    url = f"json://127.0.0.1:{unreachable_port}/hook"
    started = time.monotonic()

    [result] = AppriseNotifier().send(urls=[url], message=MESSAGE)

    assert not result.ok
    assert result.error is not None
    assert "127.0.0.1" in result.error
    assert time.monotonic() - started < 10


def test_a_receiver_that_never_answers_is_cut_at_the_timeout(
    silent_receiver: HttpReceiver,
) -> None:
    started = time.monotonic()

    [result] = AppriseNotifier(timeout=1.0).send(
        urls=[silent_receiver.apprise_url()], message=MESSAGE
    )

    assert not result.ok
    assert result.error
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("not a url", "***"),
        ("", "***"),
        ("   ", "***"),
        ("nonsense://host/path", "nonsense://***"),
        ("tgram://", "tgram://***"),
        ("json://", "json://***"),
        ("json://[::1/unbalanced", "json://***"),
        ("mailto://u:p@127.0.0.1:25?from=not-an-address", "mailto://127.0.0.1:25/***"),
        ("json://a json://b", "json://***"),
        ("\x00\n", "***"),
    ],
)
def test_invalid_url_is_reported_not_raised(url: str, target: str) -> None:
    [result] = AppriseNotifier().send(urls=[url], message=MESSAGE)
    assert result == DeliveryResult(target=target, ok=False, error=INVALID_URL_REASON)


def test_one_result_per_url_in_order(http_receiver: HttpReceiver, unreachable_port: int) -> None:
    urls = [
        "tgram://",
        http_receiver.apprise_url("first"),
        f"json://127.0.0.1:{unreachable_port}/down",
        http_receiver.apprise_url("second"),
    ]

    results = AppriseNotifier().send(urls=urls, message=MESSAGE)

    assert [result.ok for result in results] == [False, True, False, True]
    assert [post.path for post in http_receiver.posts] == ["/first", "/second"]


def test_no_urls_no_results() -> None:
    assert AppriseNotifier().send(urls=[], message=MESSAGE) == []


def test_validate_url() -> None:
    assert validate_url("json://127.0.0.1:8025/hook") is None
    assert validate_url("json://") == INVALID_URL_REASON
    assert AppriseNotifier.validate_url("json://127.0.0.1:8025/hook") is None
    assert AppriseNotifier.validate_url("tgram://123456789:AAbbCCdd/987654") is None
    assert AppriseNotifier.validate_url("tgram://") == INVALID_URL_REASON
    assert AppriseNotifier.validate_url("https://") == INVALID_URL_REASON
    assert AppriseNotifier.validate_url("hello") == INVALID_URL_REASON


@pytest.mark.parametrize("timeout", [0, -1, float("inf"), float("nan")])
def test_timeout_must_be_a_positive_number(timeout: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        AppriseNotifier(timeout=timeout)


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("tgram://123456789:AAsecretTOKEN/987654", "tgram://***"),
        ("discord://webhook_id/webhook_token", "discord://***"),
        ("json://user:pw@127.0.0.1:8025/secret/path?token=abc", "json://127.0.0.1:8025/***"),
        ("JSONS://Hooks.Example.org/x", "jsons://hooks.example.org/***"),
        ("mailto://me:app-password@gmail.com", "mailto://gmail.com/***"),
        ("ntfy://ntfy.sh/my-private-topic", "ntfy://ntfy.sh/***"),
        ("json://[::1]:8080/x", "json://[::1]:8080/***"),
        ("json://host:notaport/x", "json://***"),
        ("json://bad host/x", "json://***"),
        ("nothing-here", "***"),
        ("://x", "***"),
    ],
)
def test_redacted_targets_keep_only_scheme_and_server(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted


def test_secrets_never_reach_logs_at_info_or_above(
    http_receiver: HttpReceiver, unreachable_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    urls = [
        http_receiver.apprise_url("PathSecret4711", credentials="user:PassSecret4711"),
        f"json://user:PassSecret4711@127.0.0.1:{unreachable_port}/PathSecret4711",
        "tgrm://123:TokenSecret4711/42",  # misspelt scheme: Apprise logs what it cannot parse
        "json://user:TokenSecret4711@/no-host",  # known scheme, unusable URL: logged as well
    ]

    results = AppriseNotifier(timeout=2).send(urls=urls, message=MESSAGE)

    assert results[0].ok
    assert logging.getLogger("apprise").level >= logging.WARNING
    # INFO and above from anyone; every level from Apprise (its DEBUG lines print full URLs).
    shown = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.INFO or r.name.startswith("apprise")
    ]
    shown += [f"{r.target} {r.error}" for r in results]
    for text in shown:
        for secret in ("PassSecret4711", "PathSecret4711", "TokenSecret4711"):
            assert secret not in text
