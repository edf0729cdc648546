"""Resumable uploads: sessions persisted in the database, bytes in the blob store's resumable area.

The protocol follows tus 1.0 (core + creation, expiration and termination extensions); the web
layer (``web/api/uploads.py``) maps it to HTTP, this package holds the rules.
"""
