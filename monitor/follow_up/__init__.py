"""Follow-through: confirmed and reported sightings are checked again until they are gone and
stay gone; removals and reappearances are alerted, and the figures are kept for `monitor stats`."""
