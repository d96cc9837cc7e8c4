"""The WebSocket side: endpoint, connections, and the local hub."""
