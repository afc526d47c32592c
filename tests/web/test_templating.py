from __future__ import annotations

import pytest

from monitor.web.templating import takedown_href, web_href


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>",
        "https://",
        "https://x.example/a b",
        "https://x.example/\nx",
        "//x.example/",
        "mailto:abuse@x.example",
        "http://[::1",
    ],
)
def test_only_plain_web_addresses_become_links(url: str) -> None:
    assert web_href(url) is None


def test_web_and_mail_links() -> None:
    assert web_href("https://x.example/a?b=1") == "https://x.example/a?b=1"
    assert takedown_href("mailto:abuse@x.example?subject=Removal%20request") is not None
    assert takedown_href("javascript:alert(1)") is None
