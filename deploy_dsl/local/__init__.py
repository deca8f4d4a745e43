"""The local development stack: Conductor OSS from its jar, and the mock worker (an edge)."""
