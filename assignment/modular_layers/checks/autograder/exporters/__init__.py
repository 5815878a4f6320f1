"""Writers of Results: each reads the plain results data and knows one output format."""
