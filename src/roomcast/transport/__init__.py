"""roomcast's own WebSocket transport (see `transport.websocket`)."""
