"""The review dashboard: a small server-rendered web application for an organisation's staff.

Importing this package is cheap (the config imports `settings`); the web framework is loaded only
by `monitor.web.app`.
"""
