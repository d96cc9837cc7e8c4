"""Frames and codecs: bytes in, typed values out, and back. No I/O here."""
