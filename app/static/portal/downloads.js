// Open-data downloads per layer: a small link beside each layer of the panel to its file on
// /downloads (GeoJSON, CSV and the spreadsheet for Excel; the passports and the other formats
// are on the open-data page, /downloads, which the panel's foot links to).
// Kept apart from the panel's own code: it only adds to the rows the panel builds.
const WORDS = {
  uk: {title: "Завантажити відкриті дані"},
  en: {title: "Download the open data"},
};

function lang() {
  return document.documentElement.lang === "en" ? "en" : "uk";
}

function label(link) {
  const w = WORDS[lang()];
  link.title = `${w.title}: ${link.dataset.format.toUpperCase()}`;
  link.setAttribute("aria-label", link.title);
}

// the registries of the page's configuration: only those have files (the base map's own rows,
// e.g. its ground, have none)
const COLLECTIONS = new Set((() => {
  try {
    return JSON.parse(document.getElementById("portal-config").textContent).layers.map((l) => l.id);
  } catch {
    return [];
  }
})());

function decorate(root) {
  for (const check of root.querySelectorAll("input[data-layer]")) {
    if (!COLLECTIONS.has(check.dataset.layer)) continue;
    const row = check.closest("li");
    if (!row || row.querySelector(".downloads")) continue;
    const box = document.createElement("span");
    box.className = "downloads";
    for (const [format, name] of [["geojson", "GeoJSON"], ["csv", "CSV"], ["xlsx", "XLSX"]]) {
      const link = document.createElement("a");
      link.href = `/downloads/${encodeURIComponent(check.dataset.layer)}.${format}`;
      link.dataset.format = format;
      link.textContent = name;
      link.download = "";
      label(link);
      box.append(link);
    }
    row.append(box);
  }
}

// the panel's pages — the open-data page (every format, the passports), the OGC API's
// collections and its description — in the page's language (the last two opened in Ukrainian
// from the English geoportal)
function pageLinks() {
  for (const page of document.querySelectorAll(".api-links a")) {
    const url = new URL(page.getAttribute("href"), location.origin);
    if (lang() === "en") url.searchParams.set("lang", "en");
    else url.searchParams.delete("lang");
    page.setAttribute("href", `${url.pathname}${url.search}`);
  }
}

pageLinks();
new MutationObserver(pageLinks)
  .observe(document.documentElement, {attributes: true, attributeFilter: ["lang"]});

const root = document.getElementById("layer-groups");
if (root) {
  decorate(root);
  new MutationObserver(() => decorate(root)).observe(root, {childList: true, subtree: true});
  new MutationObserver(() => root.querySelectorAll(".downloads a").forEach(label))
    .observe(document.documentElement, {attributes: true, attributeFilter: ["lang"]});
}
