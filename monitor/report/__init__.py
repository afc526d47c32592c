"""The incident log: one client's evidence as a printable binder (HTML, PDF) or data (CSV, JSON)."""
