// The first-launch welcome: the UI language, the microphone (the mic check's panel, with its
// live meter and 3 s test), the interview date, and what each screen is for. Shown once per
// data folder (the typed setting "welcome_seen" in Rust); Esc skips it, Enter finishes it,
// and "?" then W shows it again. Keyboard-first: L, M and D reach its steps.
import { api, reviewApi } from "./api";
import { lang, t, tRows, type Lang } from "./i18n";
import { saveInterviewDate } from "./interviewdate";
import { isMicPanelOpen, onMicClose, openMicPanel } from "./miccheck";

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

let switchLang: (l: Lang) => Promise<void> = async () => undefined;

export function isWelcomeOpen(): boolean {
  return !$("welcome").hidden;
}

function render(): void {
  document.querySelectorAll<HTMLButtonElement>(".welcome-lang").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === lang())));
  const list = $("welcome-what");
  list.replaceChildren();
  for (const [key, what] of tRows("welcome.what")) {
    const dt = document.createElement("dt");
    const kbd = document.createElement("kbd");
    kbd.textContent = key;
    dt.append(kbd);
    const dd = document.createElement("dd");
    dd.textContent = what;
    list.append(dt, dd);
  }
}

export async function openWelcome(): Promise<void> {
  $("welcome").hidden = false;
  render();
  $<HTMLInputElement>("welcome-date").value = "";
  $("welcome-date-msg").textContent = "";
  try {
    const r = await reviewApi.readiness();
    $<HTMLInputElement>("welcome-date").value = r.interview_date ?? "";
  } catch {
    // no library: the date stays empty, the rest still works
  }
  $("welcome-start").focus();
}

/** Closes it for good in this data folder (finished or skipped alike). */
function finish(): void {
  $("welcome").hidden = true;
  void api.setSetting("welcome_seen", "true");
}

async function saveDate(): Promise<void> {
  const r = await saveInterviewDate($<HTMLInputElement>("welcome-date").value);
  const msg = $("welcome-date-msg");
  msg.textContent = r.message;
  msg.dataset.ok = String(r.ok);
}

async function chooseLang(l: Lang): Promise<void> {
  await switchLang(l);
  render();
}

/** The welcome's keys (called while it is open and the mic panel is not). */
export function welcomeKey(e: KeyboardEvent): void {
  const inDate = (e.target as HTMLElement | null)?.id === "welcome-date";
  if (e.key === "Escape") {
    e.preventDefault();
    finish();
    return;
  }
  if (inDate) {
    if (e.key === "Enter") {
      e.preventDefault();
      void saveDate();
    }
    return; // typing the date
  }
  const onButton = (e.target as HTMLElement | null)?.closest("button") !== null;
  switch (e.key) {
    case "l":
    case "L":
      e.preventDefault();
      void chooseLang(lang() === "en" ? "ko" : "en");
      break;
    case "m":
    case "M":
      e.preventDefault();
      void openMicPanel();
      break;
    case "d":
    case "D":
      e.preventDefault();
      $("welcome-date").focus();
      break;
    case "Enter":
      if (!onButton) {
        e.preventDefault();
        finish();
      } // on a button, Enter clicks it
      break;
  }
}

export function initWelcome(setLanguage: (l: Lang) => Promise<void>): void {
  switchLang = setLanguage;
  document.querySelectorAll<HTMLButtonElement>(".welcome-lang").forEach((b) =>
    b.addEventListener("click", () => void chooseLang(b.dataset.lang as Lang)),
  );
  $("welcome-mic").addEventListener("click", () => void openMicPanel());
  $("welcome-date-save").addEventListener("click", () => void saveDate());
  $("welcome-skip").addEventListener("click", finish);
  $("welcome-start").addEventListener("click", finish);
  onMicClose(() => {
    if (isWelcomeOpen() && !isMicPanelOpen()) $("welcome-mic").focus();
  });
}

/** The welcome's texts that are not static (after a language switch elsewhere). */
export function renderWelcome(): void {
  if (isWelcomeOpen()) render();
  $("welcome-date").setAttribute("placeholder", t("firstHour.dateHint"));
}
