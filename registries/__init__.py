"""Registries: every rule of the city's registries, declared once (see ``registries.model``)."""
