// A recording that ended by itself (microphone lost, disk full) or was not kept (too short),
// told in the page's language. Shared by the main screen and practice.
import { localMessage, type FailedEvent } from "./api";
import { t } from "./i18n";

export function showFailure(f: FailedEvent, error: (m: string) => void, warning: (m: string) => void): void {
  const secs = (f.seconds ?? 0).toFixed(1);
  if (f.kind === "too_short") warning(t("errors.tooShort", { seconds: secs }));
  else if (f.kind === "mic_lost") error(t("errors.micLost", { seconds: secs }));
  // The engine's message already says how much was saved.
  else error(t("errors.failed", { message: localMessage(f.kind, f.message) }));
}
