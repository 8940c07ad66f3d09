"""OGC API over the registries: pygeoapi resources from the catalog, providers, the ASGI mount."""
