// The interview date as typed: a plain text field (WebKitGTK's date field took no typed
// digits), read as YYYY-MM-DD and a few obvious spellings of it. Rust checks the range
// (not passed, at most two years ahead) and the error's kind picks the message here.
import { api, errorKind, errorText } from "./api";
import { t } from "./i18n";

/** YYYY-MM-DD from what was typed ("2026-12-20", "2026.12.20", "2026. 12. 20.", "20261220"), or null. */
export function normaliseDate(typed: string): string | null {
  const s = typed.trim().replace(/\.$/, "");
  const m = /^(\d{4})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})$/.exec(s) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  if (!m) return null;
  return `${m[1]}-${m[2].padStart(2, "0")}-${m[3].padStart(2, "0")}`;
}

function isoDay(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** Saves what was typed (empty clears). Returns the line to show: ok says whether it was taken. */
export async function saveInterviewDate(typed: string): Promise<{ ok: boolean; message: string; value: string | null }> {
  const raw = typed.trim();
  const value = raw === "" ? null : normaliseDate(raw);
  if (raw !== "" && value === null) {
    const example = isoDay(new Date(Date.now() + 30 * 86_400_000));
    return { ok: false, message: t("firstHour.dateBad", { value: raw, example }), value: null };
  }
  try {
    await api.setSetting("interview_date", value);
    return { ok: true, message: value ? t("firstHour.dateSaved") : t("firstHour.dateCleared"), value };
  } catch (e) {
    const kind = errorKind(e);
    // The limit itself is Rust's (INTERVIEW_DATE_MAX_DAYS); shown here as a day.
    const limit = isoDay(new Date(Date.now() + 731 * 86_400_000));
    const message =
      kind === "date_passed"
        ? t("firstHour.datePast", { value })
        : kind === "date_too_far"
          ? t("firstHour.dateFar", { value, limit })
          : errorText(e);
    return { ok: false, message, value: null };
  }
}
