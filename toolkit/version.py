"""The toolkit's version (one place: the package metadata, image metadata and reprs read it)."""

__version__ = "0.1.0"
