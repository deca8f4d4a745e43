"""The project on disk: definition modules in, build/ and README blocks out (an edge)."""
