"""Vector tiles from PostGIS (ST_AsMVT), OGC API Tiles, cache and invalidation (coming)."""
