"""JSON-Schema forms: loading, validation and rendering (Forms issue)."""
