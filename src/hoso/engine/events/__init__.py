"""Pure event-collection logic: reading Segment-spec messages and what they mean."""
