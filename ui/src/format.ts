// Small display helpers.
import { lang } from "./i18n";

export function clock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `${m}:${s.toString().padStart(2, "0")}`;
}

/** "29.2 s", or "29.2초" in the Korean UI. */
export function seconds(ms: number): string {
  const n = (ms / 1000).toFixed(1);
  return lang() === "ko" ? `${n}초` : `${n} s`;
}

export function localDateTime(iso: string, lang: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(lang === "ko" ? "ko-KR" : "en-GB", {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** Maps dBFS (-60..0) to a 0..100 % meter width. */
export function meterPercent(dbfs: number): number {
  return Math.max(0, Math.min(100, ((dbfs + 60) / 60) * 100));
}

/** The meter's floor (rehearse-audio's FLOOR_DBFS): a level the JSON could not carry (NaN) reads as silence. */
export const SILENT_DBFS = -96;
