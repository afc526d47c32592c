"""Takedown requests: the ready-to-send text for one sighting, by route, from editable templates."""
