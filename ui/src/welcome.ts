// The first-launch welcome: the UI language, the microphone (the mic check's panel, with its
// live meter and 3 s test), the interview date, and what each screen is for. Shown once per
// data folder (the typed setting "welcome_seen" in Rust); Esc skips it, Enter finishes it,
// and "?" then W shows it again. Keyboard-first: L, M and D reach its steps.
import { api, reviewApi } from "./api";
import { lang, t, tRows, type Lang } from "./i18n";
import { saveInterviewDate } from "./interviewdate";
import { closeMicPanel, isMicPanelOpen, onMicClose, openMicPanel } from "./miccheck";
import { $, el } from "./dom";
import { defineView, type App } from "./views";

let app: App;

function isWelcomeOpen(): boolean {
  return !$("welcome").hidden;
}

function render(): void {
  document.querySelectorAll<HTMLButtonElement>(".welcome-lang").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === lang())));
  const list = $("welcome-what");
  list.replaceChildren();
  for (const [key, what] of tRows("welcome.what")) {
    const dt = el("dt");
    dt.append(el("kbd", "", key));
    list.append(dt, el("dd", "", what));
  }
}

async function openWelcome(): Promise<void> {
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
  await app.setLanguage(l); // re-renders this view too (relabel)
}

/** The welcome's keys: it takes them all, and the mic check it opens sits on top of it. */
function welcomeKey(e: KeyboardEvent): boolean {
  if (isMicPanelOpen()) {
    if (e.key === "Escape") closeMicPanel();
    return true;
  }
  keyOnWelcome(e);
  return true;
}

function keyOnWelcome(e: KeyboardEvent): void {
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

async function init(a: App): Promise<void> {
  app = a;
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
  relabel();
  // First launch in this data folder: the welcome, in the user's language (the system's,
  // until one is chosen). Shown before the window reports ready.
  if (!app.status.welcome_seen && !app.status.error) await openWelcome();
}

/** The welcome's texts that are not static (after a language switch). */
function relabel(): void {
  if (isWelcomeOpen()) render();
  $("welcome-date").setAttribute("placeholder", t("firstHour.dateHint"));
}

defineView({ name: "welcome", isOpen: isWelcomeOpen, key: welcomeKey, init, open: openWelcome, relabel });
