// The speech settings dialog (review, key O): the Whisper model file (a bigger model the
// user already has; empty: the installed one) and the target pace bands. Rust checks
// everything before it stores anything (src-tauri/src/transcripts.rs).
import { errorKind, errorText, transcriptApi } from "./api";
import { t } from "./i18n";
import { $ } from "./dom";


let onSaved: () => void = () => {};

export function speechSettingsOpen(): boolean {
  return !$("speech-settings").hidden;
}

export async function openSpeechSettings(): Promise<void> {
  const s = await transcriptApi.speechSettings();
  $<HTMLInputElement>("ss-model").value = s.speech_model ?? "";
  $("ss-model-default").textContent = s.default_model ? t("speech.installed", { path: s.default_model }) : "";
  $<HTMLInputElement>("ss-band-en").value = s.pace_band_en;
  $<HTMLInputElement>("ss-band-ko").value = s.pace_band_ko;
  $("ss-error").textContent = "";
  $("speech-settings").hidden = false;
  $("ss-band-en").focus();
}

function close(): void {
  // Focus leaves the hidden fields, so review's keys work again at once.
  (document.activeElement as HTMLElement | null)?.blur();
  $("speech-settings").hidden = true;
}

async function save(): Promise<void> {
  const model = $<HTMLInputElement>("ss-model").value.trim();
  try {
    await transcriptApi.setSpeechSettings(model || null, $<HTMLInputElement>("ss-band-en").value, $<HTMLInputElement>("ss-band-ko").value);
  } catch (e) {
    const kind = errorKind(e);
    $("ss-error").textContent = kind === "no_model_file" ? t("speech.noModel", { path: model }) : kind === "invalid_setting" ? t("speech.badBand") : errorText(e);
    return;
  }
  close();
  onSaved();
}

/** Keys while the dialog is open: Enter saves, Escape cancels; the rest go to the fields. */
export function speechSettingsKey(e: KeyboardEvent): void {
  if (e.key === "Escape") {
    close();
    e.preventDefault();
  } else if (e.key === "Enter") {
    void save();
    e.preventDefault();
  }
}

export function initSpeechSettings(saved: () => void): void {
  onSaved = saved;
  $("ss-save").addEventListener("click", () => void save());
  $("ss-cancel").addEventListener("click", close);
}
