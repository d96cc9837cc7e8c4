"""The rules: who may do what, and what happens when they do. No HTTP or WebSocket here."""
