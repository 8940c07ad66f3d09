// The language a page starts in, one rule for every page of the server (the geoportal, the
// editor inside it, the import, raster upload and verification pages): the portal's permalink
// (#…&lang=en), else ?lang= as the server reads it (a language tag by its primary subtag:
// en-GB is English, any other language Ukrainian), else the language the last page was shown
// in on this browser, else Ukrainian. An address's language is remembered: the next page,
// reached by a link without one, goes on in it. A classic script, so the pages that are not
// modules read it too.
(() => {
  const KEY = "hromada.lang";
  const ours = (value) => {
    const primary = String(value ?? "").split("-")[0].trim().toLowerCase();
    return primary === "uk" || primary === "en" ? primary : null;
  };
  // a lang the address asks: ours, or Ukrainian for one we do not write
  const asked = (params) => (params.has("lang") ? ours(params.get("lang")) ?? "uk" : null);

  function remember(lang) {
    try { localStorage.setItem(KEY, lang); } catch { /* private mode: the address keeps it */ }
  }

  function initial() {
    const address = asked(new URLSearchParams(location.hash.slice(1)))
      ?? asked(new URLSearchParams(location.search));
    if (address) {
      remember(address);
      return address;
    }
    let stored = null;
    try { stored = localStorage.getItem(KEY); } catch { /* private mode */ }
    return ours(stored) ?? "uk";
  }

  globalThis.hromadaLanguage = Object.freeze({ initial, remember });
})();
