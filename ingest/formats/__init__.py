"""Formats GDAL does not read the way a Ukrainian council writes them: CSV with coordinate or
WKT columns (X = northing, decimal commas), the cadastral exchange XML, surveyors' DXF."""
