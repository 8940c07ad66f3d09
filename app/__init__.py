"""The HTTP app, the CLI and the geoportal page; the only layer that reads the environment."""
