// Coordinates: the map draws lon/lat; the registries keep UCS-2000 / Ukraine TM metres. The
// editor loads objects and their neighbours in the storage CRS (millimetres) and remembers the
// exact metres of every vertex it shows, so a vertex left alone or snapped to a neighbour's
// goes back exactly as stored: shared boundaries stay shared, no sliver overlaps.
export const PRECISION = 9;  // decimals of lon/lat the drawing library keeps

export class Projection {
  constructor(config) {
    this.srid = config.ucs2000.srid;
    this.crsUri = `http://www.opengis.net/def/crs/EPSG/0/${this.srid}`;
    this.tm = proj4("WGS84", config.ucs2000.proj4);
    this.exact = new Map();  // "lng,lat" → [easting, northing]
  }

  key([lng, lat]) { return `${lng.toFixed(PRECISION)},${lat.toFixed(PRECISION)}`; }

  // lon/lat of metres, remembered as exact
  toLngLat([e, n]) {
    const [lng, lat] = this.tm.inverse([e, n]);
    const p = [round(lng), round(lat)];
    this.exact.set(this.key(p), [e, n]);
    return p;
  }

  toMetres(p) { return this.exact.get(this.key(p)) ?? this.tm.forward(p); }

  // a GeoJSON geometry in the storage CRS (northing first, as the API sends it) → lon/lat
  fromStorage(geometry) {
    return mapCoordinates(geometry, ([n, e]) => this.toLngLat([e, n]));
  }

  // a lon/lat geometry → the storage CRS, northing first, exact where known
  toStorage(geometry) {
    return mapCoordinates(geometry, (p) => { const [e, n] = this.toMetres(p); return [n, e]; });
  }
}

function round(v) { return Number(v.toFixed(PRECISION)); }

export function mapCoordinates(geometry, fn) {
  const walk = (c) => (typeof c[0] === "number" ? fn(c) : c.map(walk));
  return { type: geometry.type, coordinates: walk(geometry.coordinates) };
}

// the editable single-part form of a geometry (terra-draw edits Polygon, LineString, Point)
export function single(geometry) {
  if (geometry.type === "MultiPolygon" || geometry.type === "MultiLineString") {
    if (geometry.coordinates.length !== 1) return null;
    return { type: geometry.type.slice(5), coordinates: geometry.coordinates[0] };
  }
  return geometry;
}

export const MODE_OF = { Polygon: "polygon", LineString: "linestring", Point: "point",
  MultiPolygon: "polygon", MultiLineString: "linestring" };

// every [x, y] of a geometry
export function positions(geometry) {
  const out = [];
  const walk = (c) => { if (typeof c[0] === "number") out.push(c); else c.forEach(walk); };
  walk(geometry.coordinates);
  return out;
}

export function centroid(geometry) {
  const pts = positions(geometry);
  const sum = pts.reduce((a, p) => [a[0] + p[0], a[1] + p[1]], [0, 0]);
  return [sum[0] / pts.length, sum[1] / pts.length];
}

export function sameGeometry(a, b) {
  return JSON.stringify(a?.coordinates) === JSON.stringify(b?.coordinates);
}
