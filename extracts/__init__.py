"""True-scale PDF map extracts in UCS-2000 (coming)."""
