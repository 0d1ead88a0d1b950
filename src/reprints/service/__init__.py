"""HTTP service over a reprints index."""
