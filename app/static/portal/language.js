// The language a page starts in, one rule for every page of the server (the geoportal, the
// editor inside it, the import, raster upload and verification pages): the portal's permalink
// (#…&lang=en), else ?lang= as the server reads it (a language tag by its primary subtag:
// en-GB is English, any other language Ukrainian), else the language the last page was shown
// in on this browser, else Ukrainian. An address's language is remembered: the next page,
// reached by a link without one, goes on in it. A classic script, so the pages that are not
// modules read it too.
//
// ``locale(lang)``: the locale our pages write numbers and dates in (uk-UA, en-GB).
// ``moment(iso, lang)``: an instant (a change, a filed report) as the page's language writes
// it, by the city's clock (the page's ``<html data-time-zone>``, as the server's pages and
// extracts write them; a browser abroad or set to UTC showed another hour) — never in the
// browser's own locale, which may be neither of the page's: 06.12.2026 18:17 /
// 6 December 2026, 18:17.
(() => {
  const KEY = "hromada.lang";
  const LOCALES = { uk: "uk-UA", en: "en-GB" };
  const locale = (lang) => LOCALES[lang] ?? LOCALES.uk;
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

  let clock = null;  // made on first use: the page's <html> is parsed by then
  const format = (timeZone) => new Intl.DateTimeFormat("en-GB", { year: "numeric",
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    timeZone });
  const CLOCK = () => {
    if (clock) return clock;
    try {
      clock = format(document.documentElement.dataset.timeZone || undefined);
    } catch {  // a zone this browser does not know: its own clock rather than nothing
      clock = format(undefined);
    }
    return clock;
  };
  const MONTH = new Intl.DateTimeFormat("en-GB", { month: "long", timeZone: "UTC" });

  function moment(iso, lang) {
    const at = new Date(iso);
    if (iso == null || Number.isNaN(at.getTime())) return String(iso ?? "");
    const p = Object.fromEntries(CLOCK().formatToParts(at).map((part) => [part.type, part.value]));
    const time = `${p.hour}:${p.minute}`;
    if (lang !== "en") return `${p.day}.${p.month}.${p.year} ${time}`;
    const month = MONTH.format(new Date(Date.UTC(2000, Number(p.month) - 1, 15)));
    return `${Number(p.day)} ${month} ${p.year}, ${time}`;
  }

  globalThis.hromadaLanguage = Object.freeze({ initial, remember, locale, moment });
})();
