"""Alerts: discreet message rendering (pure), takedown links, and Apprise delivery."""

from monitor.alerts.apprise_notifier import AppriseNotifier, DeliveryResult
from monitor.alerts.render import AlertItem, AlertMessage, render_digest, render_test_message
from monitor.alerts.takedown import TakedownRegistry, TakedownRoute

__all__ = [
    "AlertItem",
    "AlertMessage",
    "AppriseNotifier",
    "DeliveryResult",
    "TakedownRegistry",
    "TakedownRoute",
    "render_digest",
    "render_test_message",
]
