// The editor speaks to the server like any OGC API Part 4 client: If-Match with the ETag it
// read, the CSRF token of its session, problem+json when refused.
export class Problem extends Error {
  constructor(status, body) {
    super(body?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.body = body ?? {};
  }
}

async function problem(r) {
  let body = null;
  try { body = await r.json(); } catch { /* not JSON */ }
  return new Problem(r.status, body);
}

export async function getJson(url) {
  const r = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  if (!r.ok) throw await problem(r);
  return r.json();
}

// a feature in the storage CRS and its ETag: the working copy, pending changes included (an
// editor edits the newest version; the public reads the verified one)
export async function getItem(collection, id, crsUri) {
  const url = `/collections/${encodeURIComponent(collection)}/items/${encodeURIComponent(id)}`
    + `?f=json&pending=true&crs=${encodeURIComponent(crsUri)}`;
  const r = await fetch(url, { headers: { Accept: "application/geo+json" }, cache: "no-store",
    credentials: "same-origin" });
  if (!r.ok) throw await problem(r);
  return { feature: await r.json(), etag: r.headers.get("ETag") };
}

export async function neighbours(collection, bbox, crsUri) {
  const params = new URLSearchParams({ f: "json", limit: "500", bbox: bbox.join(","),
    "bbox-crs": crsUri, crs: crsUri, pending: "true" });
  const doc = await getJson(`/collections/${encodeURIComponent(collection)}/items?${params}`);
  return doc.features;
}

export async function send(method, url, { body, etag, crsUri } = {}) {
  const headers = { Accept: "application/json", "X-CSRF-Token": hromadaSession.csrf() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (etag) headers["If-Match"] = etag;
  if (crsUri) headers["Content-Crs"] = `<${crsUri}>`;
  const r = await fetch(url, { method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body) });
  if (!r.ok) throw await problem(r);
  const text = r.status === 204 ? "" : await r.text();
  return { status: r.status, etag: r.headers.get("ETag"), location: r.headers.get("Location"),
    body: text ? JSON.parse(text) : null };
}
