// UI language: Ukrainian first, English through the switch; remembered in localStorage and
// in the permalink (#…&lang=en).
const STRINGS = {
  uk: {
    geoportal: "Геопортал", layers: "Шари", legendStatus: "Статус дозволу / паспорта",
    searchPlaceholder: "Адреса або кадастровий номер", noResults: "Нічого не знайдено",
    searchFailed: "Пошук недоступний", measureDistance: "Виміряти відстань",
    measureArea: "Виміряти площу", permalink: "Посилання на цей вид", print: "Друк витягу",
    close: "Закрити", opacity: "Прозорість", apiCollections: "Дані (OGC API)",
    printTitle: "Витяг з карти (PDF)", scale: "Масштаб", paper: "Папір",
    orientation: "Орієнтація", portrait: "книжкова", landscape: "альбомна",
    download: "Завантажити PDF",
    printSoon: "Друк витягів на цьому сервері вимкнено.",
    printReady: "Витяг у системі координат УСК-2000 у вибраному масштабі.",
    linkCopied: "Посилання скопійовано", linkShown: "Посилання на цей вид у адресному рядку",
    distance: "Відстань", area: "Площа", perimeter: "периметр",
    measureHint: "Клацайте по карті; подвійне клацання — завершити",
    loading: "Завантаження…", loadFailed: "Не вдалося завантажити дані об'єкта",
    cluster: "Кілька об'єктів — наблизьте карту", zoomIn: "Наблизити",
    status: "Статус", daysLeft: "днів залишилось", expiredDaysAgo: "днів тому сплив",
    term: "Строк дії", from: "з", until: "до", parcelReport: "Звіт про ділянку",
    allData: "Усі відкриті дані об'єкта (JSON)", basemap: "Підкладка (растр)",
    ha: "га", m: "м", km: "км", m2: "м²",
    mapLoadFailed: "Карта не завантажилась",
    printWhat: "Що друкувати", printView: "поточний вид карти", printObject: "вибраний об'єкт",
    printFit: "вписати об'єкт", printMaking: "Готуємо витяг…", printDone: "Витяг готовий:",
    printFailed: "Не вдалося підготувати витяг", printTooMany: "Забагато витягів поспіль; спробуйте за",
    seconds: "с", printDoesNotFit: "Об'єкт не вміщується в цьому масштабі; вміщується в",
    printTooLarge: "Забагато об'єктів на аркуші: виберіть дрібніший район або детальніший масштаб",
    extractPdf: "Викопіювання (PDF)",
  },
  en: {
    geoportal: "Geoportal", layers: "Layers", legendStatus: "Permit / passport status",
    searchPlaceholder: "Address or cadastral number", noResults: "Nothing found",
    searchFailed: "Search is unavailable", measureDistance: "Measure distance",
    measureArea: "Measure area", permalink: "Link to this view", print: "Print an extract",
    close: "Close", opacity: "Opacity", apiCollections: "Data (OGC API)",
    printTitle: "Map extract (PDF)", scale: "Scale", paper: "Paper",
    orientation: "Orientation", portrait: "portrait", landscape: "landscape",
    download: "Download PDF",
    printSoon: "Printing extracts is turned off on this server.",
    printReady: "An extract in UCS-2000 at the chosen scale.",
    linkCopied: "Link copied", linkShown: "The link to this view is in the address bar",
    distance: "Distance", area: "Area", perimeter: "perimeter",
    measureHint: "Click on the map; double-click to finish",
    loading: "Loading…", loadFailed: "Could not load the object's data",
    cluster: "Several objects — zoom in", zoomIn: "Zoom in",
    status: "Status", daysLeft: "days left", expiredDaysAgo: "days since it expired",
    term: "Term", from: "from", until: "until", parcelReport: "Parcel report",
    allData: "All open data of the object (JSON)", basemap: "Base layer (raster)",
    ha: "ha", m: "m", km: "km", m2: "m²",
    mapLoadFailed: "The map did not load",
    printWhat: "What to print", printView: "the current map view", printObject: "the selected object",
    printFit: "fit the object", printMaking: "Preparing the extract…", printDone: "The extract is ready:",
    printFailed: "The extract could not be prepared", printTooMany: "Too many extracts in a row; try again in",
    seconds: "s", printDoesNotFit: "The object does not fit at this scale; it fits at",
    printTooLarge: "Too many objects for one sheet: choose a smaller area or a more detailed scale",
    extractPdf: "Map extract (PDF)",
  },
};

// field labels of the registry cards (names as the public API returns them)
export const FIELDS = {
  permit_number: ["Номер дозволу", "Permit number"],
  passport_number: ["Номер паспорта прив'язки", "Placement passport number"],
  distributor_name: ["Розповсюджувач реклами", "Advertising distributor"],
  distributor_edrpou: ["Код ЄДРПОУ", "EDRPOU code"],
  owner_name: ["Власник (суб'єкт господарювання)", "Owner (business)"],
  owner_edrpou: ["Код ЄДРПОУ", "EDRPOU code"],
  issuing_body: ["Хто видав", "Issued by"],
  issued_on: ["Дата видачі", "Issued on"],
  decision_number: ["Рішення №", "Decision no."],
  decision_date: ["Дата рішення", "Decision date"],
  structure_type: ["Тип конструкції", "Structure type"],
  structure_kind: ["Вид споруди", "Structure kind"],
  purpose: ["Призначення", "Purpose"],
  specialisation: ["Спеціалізація", "Specialisation"],
  location_text: ["Місце розташування", "Location"],
  width_m: ["Ширина, м", "Width, m"], height_m: ["Висота, м", "Height, m"],
  length_m: ["Довжина, м", "Length, m"], area_m2: ["Площа, м²", "Area, m²"],
  sides: ["Сторін", "Sides"], lighting: ["Підсвічування", "Lighting"],
  cadastral_number: ["Кадастровий номер", "Cadastral number"],
  area_declared_ha: ["Площа, га", "Area, ha"],
  area_computed_ha: ["Площа за геометрією, га", "Area from geometry, ha"],
  purpose_code: ["Код цільового призначення", "Purpose code"],
  purpose_text: ["Цільове призначення", "Purpose"],
  ownership_form: ["Форма власності", "Ownership form"],
  category: ["Категорія земель", "Land category"],
  holder_name: ["Землекористувач", "Holder"],
  registered_on: ["Дата реєстрації", "Registered on"],
  full_address: ["Адреса", "Address"], house_number: ["Номер будинку", "House number"],
  postal_code: ["Поштовий індекс", "Postal code"], name: ["Назва", "Name"],
  street_type: ["Тип вулиці", "Street type"], floors: ["Поверхів", "Floors"],
  zone_code: ["Зона", "Zone"], zone_name: ["Назва зони", "Zone name"],
  max_height_m: ["Гранична висота, м", "Height limit, m"],
  max_coverage_pct: ["Гранична забудова, %", "Coverage limit, %"],
  spot_number: ["Номер місця", "Spot number"], max_area_m2: ["Гранична площа, м²", "Max area, m²"],
  quarter_number: ["Номер кварталу", "Quarter number"], kind: ["Вид", "Kind"],
  reason: ["Причина", "Reason"], organisation: ["Організація", "Organisation"],
  closed_from: ["Перекрито з", "Closed from"], closed_until: ["Перекрито до", "Closed until"],
  detour: ["Об'їзд", "Detour"], regime: ["Режим", "Regime"], legal_basis: ["Підстава", "Legal basis"],
  condition: ["Стан", "Condition"], address_text: ["Адреса", "Address"],
  inspected_on: ["Дата обстеження", "Inspected on"], street_name: ["Вулиця", "Street"],
  katottg: ["КАТОТТГ", "KATOTTG"],
};

const KEY = "hromada.lang";
let current = "uk";

export function initialLang() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("lang");
  const stored = (() => { try { return localStorage.getItem(KEY); } catch { return null; } })();
  const lang = fromHash || stored || "uk";
  current = lang in STRINGS ? lang : "uk";
  return current;
}

export function lang() { return current; }

export function setLang(value) {
  current = value in STRINGS ? value : "uk";
  try { localStorage.setItem(KEY, current); } catch { /* private mode: the URL keeps it */ }
  applyStrings(document);
  document.dispatchEvent(new CustomEvent("langchange", { detail: current }));
}

export function t(key) { return STRINGS[current][key] ?? STRINGS.uk[key] ?? key; }

// a {uk, en} object (titles from the server) in the current language
export function tr(titles) { return titles?.[current] ?? titles?.uk ?? ""; }

export function fieldLabel(name) {
  const pair = FIELDS[name];
  return pair ? pair[current === "en" ? 1 : 0] : name.replaceAll("_", " ");
}

export function applyStrings(root) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  const sw = document.getElementById("lang-switch");
  if (sw) {
    sw.textContent = current === "uk" ? "EN" : "УК";
    sw.title = current === "uk" ? "English" : "Українська";
  }
}

export function formatNumber(value, digits = 0) {
  return Number(value).toLocaleString(current === "en" ? "en-GB" : "uk-UA",
    { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
