// The editor's own words (uk first, en complete). Field titles and code lists never live here:
// they come from the registry declarations (GET /registries/{id}/form).
import { formatNumber, lang, locale } from "/static/portal/i18n.js";

const STRINGS = {
  uk: {
    editing: "Редагування", newObject: "Новий об'єкт", create: "Створити", edit: "Редагувати",
    save: "Зберегти", cancel: "Скасувати", remove: "Видалити", split: "Поділити",
    merge: "Об'єднати", confirmRemove: "Видалити цей об'єкт? Історія збереже його.",
    yesRemove: "Так, видалити", readOnly: "Цей реєстр редагує інша роль",
    pick: "Виберіть об'єкт на карті", drawHint: "Клацайте по карті; клацніть останню точку ще раз, щоб завершити",
    splitHint: "Проведіть лінію поділу через ділянку: клацніть за її межею, потім по той бік; останню точку — ще раз",
    mergeHint: "Клацніть сусідню ділянку, з якою об'єднати",
    vertexHint: "Перетягніть вершину; клацання посередині сторони додає вершину",
    saved: "Збережено", created: "Створено", removed: "Видалено", splitDone: "Ділянку поділено",
    mergeDone: "Ділянки об'єднано", part: "Частина", area: "площа", m2: "м²",
    parts: "Нові об'єкти", doSplit: "Поділити", doMerge: "Об'єднати", with: "з",
    conflict: "Хтось зберіг цей об'єкт раніше за вас", field: "Поле", yours: "Ваше",
    theirs: "Збережене", changedBy: "Змінив", reload: "Перезавантажити", close: "Закрити",
    geometry: "Геометрія", geometryChanged: "змінено", unchanged: "без змін",
    personal: "персональні дані", required: "обов'язкове поле",
    notNumber: "має бути числом (наприклад, 0,25)", notWhole: "має бути цілим числом",
    pattern: "має відповідати формату", invalid: { one: "Перевірте поле", few: "Перевірте {n} поля", many: "Перевірте {n} полів", other: "Перевірте {n} поля" },
    saving: "Збереження…",
    multipart: "Багатоконтурний об'єкт: змініть його геометрію в QGIS",
    nothingChanged: "Змін немає", failed: "Не вдалося зберегти", signedOut: "Сеанс завершився: увійдіть знову", signOut: "Вийти",
    ruleBroken: "Порушено правило",
    version: "версія",
    awaitsVerification: "Зміна чекає на перевірку утримувачем реєстру; публічна мапа покаже її після затвердження",
  },
  en: {
    editing: "Editing", newObject: "New object", create: "Create", edit: "Edit",
    save: "Save", cancel: "Cancel", remove: "Delete", split: "Split",
    merge: "Merge", confirmRemove: "Delete this object? History keeps it.",
    yesRemove: "Yes, delete", readOnly: "Another role edits this registry",
    pick: "Choose an object on the map", drawHint: "Click on the map; click the last point again to finish",
    splitHint: "Draw the dividing line across the parcel: click outside it, then on the other side; click the last point again",
    mergeHint: "Click the neighbouring parcel to merge with",
    vertexHint: "Drag a vertex; clicking the middle of a side adds one",
    saved: "Saved", created: "Created", removed: "Deleted", splitDone: "The parcel was split",
    mergeDone: "The parcels were merged", part: "Part", area: "area", m2: "m²",
    parts: "New objects", doSplit: "Split", doMerge: "Merge", with: "with",
    conflict: "Someone saved this object before you", field: "Field", yours: "Yours",
    theirs: "Saved", changedBy: "Changed by", reload: "Reload", close: "Close",
    geometry: "Geometry", geometryChanged: "changed", unchanged: "unchanged",
    personal: "personal data", required: "required",
    notNumber: "must be a number (e.g. 0.25)", notWhole: "must be a whole number",
    pattern: "must match the format", invalid: { one: "Check the field", other: "Check the {n} fields" }, saving: "Saving…",
    multipart: "An object of several parts: change its geometry in QGIS",
    nothingChanged: "Nothing changed", failed: "Could not save", signedOut: "The session ended: sign in again", signOut: "Sign out",
    ruleBroken: "Rule broken",
    version: "version",
    awaitsVerification: "The change waits for the registry holder's verification; the public map shows it once approved",
  },
};

export function s(key) { return STRINGS[lang()]?.[key] ?? STRINGS.uk[key] ?? key; }

// a string with a number: the plural form by the language's rules, {n} filled in
export function sn(key, n) {
  const forms = s(key);
  const text = forms[new Intl.PluralRules(locale()).select(n)] ?? forms.other;
  return text.replace("{n}", formatNumber(n));
}
