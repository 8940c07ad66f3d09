// Snapping to neighbouring objects: to their vertices first, then to their sides, within a few
// pixels. Worked in the storage CRS, so a snapped point is exactly a neighbour's vertex, or a
// point exactly on its side, and the exact metres go back to the server.
const TOLERANCE_PX = 10;

export class Snapper {
  constructor(map, projection) {
    this.map = map;
    this.projection = projection;
    this.vertices = [];  // [e, n]
    this.segments = [];  // [[e, n], [e, n]]
  }

  // neighbours: GeoJSON features in the storage CRS (northing first)
  setCandidates(features) {
    this.vertices = [];
    this.segments = [];
    for (const f of features) {
      if (!f.geometry) continue;
      for (const line of lines(f.geometry)) {
        const metres = line.map(([n, e]) => [e, n]);
        metres.forEach((p) => { this.vertices.push(p); this.projection.toLngLat(p); });
        for (let i = 1; i < metres.length; i++) this.segments.push([metres[i - 1], metres[i]]);
      }
    }
  }

  // the snapped [lng, lat] for a pointer event, or undefined
  snap(event) {
    const here = this.projection.tm.forward([event.lng, event.lat]);
    const tol = TOLERANCE_PX * metresPerPixel(this.map, event.lat);
    let best = null;
    let bestD = tol;
    for (const v of this.vertices) {
      const d = Math.hypot(v[0] - here[0], v[1] - here[1]);
      if (d < bestD) { best = v; bestD = d; }
    }
    if (!best) {
      for (const [a, b] of this.segments) {
        const p = closest(a, b, here);
        const d = Math.hypot(p[0] - here[0], p[1] - here[1]);
        if (d < bestD) { best = p; bestD = d; }
      }
    }
    return best ? this.projection.toLngLat(best) : undefined;
  }
}

function lines(geometry) {
  switch (geometry.type) {
    case "Polygon": case "MultiLineString": return geometry.coordinates;
    case "MultiPolygon": return geometry.coordinates.flat();
    case "LineString": return [geometry.coordinates];
    case "Point": return [[geometry.coordinates]];
    default: return [];
  }
}

function closest(a, b, p) {
  const dx = b[0] - a[0]; const dy = b[1] - a[1];
  const len = dx * dx + dy * dy;
  const t = len ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len)) : 0;
  return [a[0] + t * dx, a[1] + t * dy];
}

function metresPerPixel(map, lat) {
  return (40075016.686 * Math.cos((lat * Math.PI) / 180)) / (512 * 2 ** map.getZoom());
}
