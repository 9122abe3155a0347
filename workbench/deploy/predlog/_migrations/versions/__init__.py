"""One module per schema revision; a later version adds the next one (``down_revision`` = the last)."""
