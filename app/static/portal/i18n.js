// UI language: Ukrainian first, English through the switch; remembered on this browser and
// in the permalink (#…&lang=en); where a page starts: language.js. Only the page's own words live here: registry titles, field
// titles and code lists come from the server (the portal config, declared in registries/).
const STRINGS = {
  uk: {
    layers: "Шари", legend: "Легенда", legendStatus: "Статус дозволу / паспорта",
    legendRange: "Перекриття руху", legendFilterHint: "Натисніть статус, щоб показати лише його",
    showAll: "Показати всі",
    searchPlaceholder: "Адреса або кадастровий номер", noResults: "Нічого не знайдено",
    searchFailed: "Пошук недоступний",
    searchTooLong: "Задовгий текст для пошуку: не більше {n} символів", measureDistance: "Виміряти відстань",
    measureArea: "Виміряти площу", permalink: "Посилання на цей вид", print: "Друк витягу",
    close: "Закрити", opacity: "Прозорість", openData: "Відкриті дані",
    apiCollections: "Дані (OGC API)",
    apiDocs: "Опис API", more: "Інші інструменти", menu: "Меню",
    printTitle: "Витяг з карти (PDF)", scale: "Масштаб", paper: "Папір",
    orientation: "Орієнтація", portrait: "книжкова", landscape: "альбомна",
    download: "Завантажити PDF",
    printSoon: "Друк витягів на цьому сервері вимкнено.",
    printReady: "Витяг у системі координат УСК-2000 у вибраному масштабі.",
    linkCopied: "Посилання скопійовано", linkShown: "Посилання на цей вид у адресному рядку",
    distance: "Відстань", area: "Площа", perimeter: "периметр",
    measureHint: "Торкніться карти, щоб додати точку; подвійне торкання — завершити",
    loading: "Завантаження…", loadFailed: "Не вдалося завантажити дані об'єкта",
    noSuchObject: "Такого об'єкта в реєстрі немає: можливо, його вилучено або посилання помилкове",
    cluster: "Кілька об'єктів — наблизьте карту", zoomIn: "Наблизити", zoomOut: "Віддалити",
    attribution: "Показати або сховати джерела даних", metres: "м",
    kilometres: "км",
    status: "Статус", term: "Строк дії", from: "з", until: "до",
    daysLeft: { one: "залишився {n} день", few: "залишилось {n} дні", many: "залишилось {n} днів", other: "залишилось {n} дня" },
    expiredAgo: { one: "сплив {n} день тому", few: "сплив {n} дні тому", many: "сплив {n} днів тому", other: "сплив {n} дня тому" },
    endsToday: "спливає сьогодні",
    dismantlingOrdered: "Припис на демонтаж від {date}", dismantledOn: "Демонтовано {date}",
    annulledOn: "Скасовано {date}", closedRange: "{from} — {to}",
    parcelReport: "Довідка по ділянці", allData: "Усі відкриті дані об'єкта (JSON)",
    basemap: "Підкладка (растр)", basemapCity: "Карта міста",
    rasters: "Растрові карти й ортофото",
    ha: "га", m: "м", km: "км", m2: "м²",
    mapLoadFailed: "Карта не завантажилась",
    printWhat: "Що друкувати", printView: "поточний вид карти", printObject: "вибраний об'єкт",
    printFit: "вписати об'єкт", printMaking: "Готуємо витяг…", printDone: "Витяг готовий:",
    printFailed: "Не вдалося підготувати витяг", printTooMany: "Забагато витягів поспіль; спробуйте за",
    seconds: "с", printDoesNotFit: "Об'єкт не вміщується в цьому масштабі; вміщується в",
    printTooLarge: "Забагато об'єктів на аркуші: виберіть менший район або детальніший масштаб",
    printOutside: "Вид карти за {n} км від території громади: витяг друкує її реєстри — поверніться до неї",
    extractPdf: "Викопіювання (PDF)",
    yes: "так", no: "ні",
    chooseObject: "Тут кілька об'єктів — виберіть", alsoHere: "Тут також",
    place: "Це місце", nearestAddress: "Найближча адреса", distanceTo: "за {d} м",
    parcelHere: "Земельна ділянка", zonesHere: "Територіальні зони", restrictionsHere: "Обмеження",
    noParcelHere: "Тут немає зареєстрованої земельної ділянки",
    noAddressNear: "Поруч немає адрес", coordinates: "Координати",
    latLon: "{lat}° пн. ш., {lon}° сх. д.",
    parcelOfAddress: "Ділянка цієї адреси", openParcel: "Відкрити ділянку",
    formerUntil: "до {date}", myLocation: "Моє місцезнаходження",
    locationFailed: "Не вдалося визначити місцезнаходження",
    list: "Список", listTitle: "Об'єкти в межах карти", registry: "Реєстр",
    allStatuses: "Усі статуси", listEmpty: "У межах карти нічого немає",
    listMore: { one: "показано {shown} з {n} об'єкта — наблизьте карту", few: "показано {shown} з {n} об'єктів — наблизьте карту", many: "показано {shown} з {n} об'єктів — наблизьте карту", other: "показано {shown} з {n} об'єкта — наблизьте карту" },
    listCount: { one: "{n} об'єкт", few: "{n} об'єкти", many: "{n} об'єктів", other: "{n} об'єкта" },
    zoomForList: "Наблизьте карту, щоб побачити список",
    objectsHere: { one: "{n} об'єкт", few: "{n} об'єкти", many: "{n} об'єктів", other: "{n} об'єкта" },
    layerOff: "шар вимкнено", langName: "Українська", otherLang: "English", otherLangShort: "EN",
    ucs2000: "УСК-2000", mapLabel: "Карта", formerName: "колишня назва: {name}",
  },
  en: {
    layers: "Layers", legend: "Legend", legendStatus: "Permit / passport status",
    legendRange: "Road closures", legendFilterHint: "Tap a status to show only that one",
    showAll: "Show all",
    searchPlaceholder: "Address or cadastral number", noResults: "Nothing found",
    searchFailed: "Search is unavailable",
    searchTooLong: "The search text is too long: {n} characters at most", measureDistance: "Measure distance",
    measureArea: "Measure area", permalink: "Link to this view", print: "Print an extract",
    close: "Close", opacity: "Opacity", openData: "Open data",
    apiCollections: "Data (OGC API)",
    apiDocs: "API description", more: "More tools", menu: "Menu",
    printTitle: "Map extract (PDF)", scale: "Scale", paper: "Paper",
    orientation: "Orientation", portrait: "portrait", landscape: "landscape",
    download: "Download PDF",
    printSoon: "Printing extracts is turned off on this server.",
    printReady: "An extract in UCS-2000 at the chosen scale.",
    linkCopied: "Link copied", linkShown: "The link to this view is in the address bar",
    distance: "Distance", area: "Area", perimeter: "perimeter",
    measureHint: "Tap the map to add a point; double-tap to finish",
    loading: "Loading…", loadFailed: "Could not load the object's data",
    noSuchObject: "There is no such object in the registry: it may have been removed, or the link is mistyped",
    cluster: "Several objects — zoom in", zoomIn: "Zoom in", zoomOut: "Zoom out",
    attribution: "Show or hide data sources", metres: "m",
    kilometres: "km",
    status: "Status", term: "Term", from: "from", until: "until",
    daysLeft: { one: "{n} day left", other: "{n} days left" },
    expiredAgo: { one: "expired {n} day ago", other: "expired {n} days ago" },
    endsToday: "expires today",
    dismantlingOrdered: "Dismantling ordered on {date}", dismantledOn: "Dismantled on {date}",
    annulledOn: "Annulled on {date}", closedRange: "{from} – {to}",
    parcelReport: "Parcel report", allData: "All open data of the object (JSON)",
    basemap: "Background (raster)", basemapCity: "City map",
    rasters: "Raster maps and orthophotos",
    ha: "ha", m: "m", km: "km", m2: "m²",
    mapLoadFailed: "The map did not load",
    printWhat: "What to print", printView: "the current map view", printObject: "the selected object",
    printFit: "fit the object", printMaking: "Preparing the extract…", printDone: "The extract is ready:",
    printFailed: "The extract could not be prepared", printTooMany: "Too many extracts in a row; try again in",
    seconds: "s", printDoesNotFit: "The object does not fit at this scale; it fits at",
    printTooLarge: "Too many objects for one sheet: choose a smaller area or a more detailed scale",
    printOutside: "The map view lies {n} km from the community's territory: an extract prints its registries — go back to it",
    extractPdf: "Map extract (PDF)",
    yes: "yes", no: "no",
    chooseObject: "Several objects here — choose one", alsoHere: "Also here",
    place: "This place", nearestAddress: "Nearest address", distanceTo: "{d} m away",
    parcelHere: "Land parcel", zonesHere: "Zoning-plan zones", restrictionsHere: "Restrictions",
    noParcelHere: "No registered land parcel here",
    noAddressNear: "No address nearby", coordinates: "Coordinates",
    latLon: "{lat}° N, {lon}° E",
    parcelOfAddress: "The parcel of this address", openParcel: "Open the parcel",
    formerUntil: "until {date}", myLocation: "My location",
    locationFailed: "Could not find your location",
    list: "List", listTitle: "Objects in the map view", registry: "Registry",
    allStatuses: "All statuses", listEmpty: "Nothing in the map view",
    listMore: { one: "{shown} of {n} object shown — zoom in", other: "{shown} of {n} objects shown — zoom in" },
    listCount: { one: "{n} object", other: "{n} objects" },
    zoomForList: "Zoom in to see the list",
    objectsHere: { one: "{n} object", other: "{n} objects" },
    layerOff: "layer off", langName: "English", otherLang: "Українська", otherLangShort: "УКР",
    ucs2000: "UCS-2000", mapLabel: "Map", formerName: "former name: {name}",
  },
};

let current = "uk";

// the page's first language: one rule for every page (language.js, loaded before the modules)
export function initialLang() {
  const lang = hromadaLanguage.initial();
  current = lang in STRINGS ? lang : "uk";
  return current;
}

export function lang() { return current; }
export function locale() { return hromadaLanguage.locale(current); }

// the language values are written in (format.js), without touching the page: for another
// page that shows values as the cards do (the verification page's diff)
export function useLang(value) {
  current = value in STRINGS ? value : "uk";
  hromadaLanguage.remember(current);
}

export function setLang(value) {
  useLang(value);
  applyStrings(document);
  document.dispatchEvent(new CustomEvent("langchange", { detail: current }));
}

function fill(text, values) {
  return values ? text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m)) : text;
}

// a UI string; {name} placeholders filled from values
export function t(key, values) {
  const text = STRINGS[current][key] ?? STRINGS.uk[key] ?? key;
  return fill(typeof text === "string" ? text : text.other, values);
}

// a UI string with a number: the plural form by the language's rules (Intl.PluralRules)
export function tn(key, n, values = {}) {
  const forms = STRINGS[current][key] ?? STRINGS.uk[key];
  const form = new Intl.PluralRules(locale()).select(n);
  const text = forms[form] ?? forms.other;
  return fill(text, { ...values, n: formatNumber(n) });
}

// a {uk, en} object (titles from the server) in the current language
export function tr(titles) { return titles?.[current] ?? titles?.uk ?? ""; }

export function applyStrings(root) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-title]")) {
    el.title = t(el.dataset.i18nTitle);
    if (el.hasAttribute("aria-label") || (el.matches("button") && !el.textContent.trim())) {
      el.setAttribute("aria-label", el.title);
    }
  }
  for (const el of root.querySelectorAll("[data-i18n-aria]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nAria));
  }
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  const sw = document.getElementById("lang-switch");
  if (sw) {
    sw.querySelector(".long").textContent = t("otherLang");
    sw.querySelector(".short").textContent = t("otherLangShort");
    sw.title = t("otherLang");
    sw.lang = current === "uk" ? "en" : "uk";
  }
}

export function formatNumber(value, digits = 0) {
  return Number(value).toLocaleString(locale(),
    { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

// an ISO date (YYYY-MM-DD) as people write it: 12.05.2026 / 12 May 2026
export function formatDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(iso));
  if (!m) return String(iso);
  if (current === "uk") return `${m[3]}.${m[2]}.${m[1]}`;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return new Intl.DateTimeFormat(locale(), { day: "numeric", month: "long", year: "numeric",
    timeZone: "UTC" }).format(d);
}

// items joined as the language does: «a, b і c» / "a, b and c"
export function formatList(items) {
  return new Intl.ListFormat(locale(), { style: "long", type: "conjunction" }).format(items);
}
