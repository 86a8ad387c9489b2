// The shortcut list (?): a modal over every screen, scrolled by keyboard, with the data folder
// and the selected question's id as its "about" line. W from it brings the welcome back.
import { $, el } from "./dom";
import { t, tRows } from "./i18n";
import { selectedQuestionId } from "./questions";
import { defineView, type App } from "./views";

let app: App;

function toggleHelp(open: boolean): void {
  const table = $("help-table");
  table.replaceChildren();
  for (const [keys, what] of tRows("help.rows")) {
    const k = el("td");
    k.append(el("kbd", "", keys));
    const tr = el("tr");
    tr.append(k, el("td", "", what));
    table.append(tr);
  }
  const question = selectedQuestionId();
  const about = [app.status.data_dir ? t("status.data", { dir: app.status.data_dir }) : "", question ? t("firstHour.questionId", { id: question }) : ""];
  $("help-about").textContent = about.filter(Boolean).join(" · ");
  $("help").hidden = !open;
  if (open) $("help-scroll").scrollTop = 0;
}

/** The shortcut list scrolls by keyboard too (it may be taller than the window). */
function scrollHelp(key: string): void {
  const box = $("help-scroll");
  const page = box.clientHeight * 0.9;
  const by: Record<string, number> = { ArrowDown: 40, ArrowUp: -40, PageDown: page, PageUp: -page, " ": page };
  if (key === "Home") box.scrollTop = 0;
  else if (key === "End") box.scrollTop = box.scrollHeight;
  else if (by[key] !== undefined) box.scrollTop += by[key];
}

function welcomeAgain(): void {
  toggleHelp(false);
  app.open("welcome");
}

defineView({
  name: "help",
  isOpen: () => !$("help").hidden,
  key(e) {
    if (e.key === "w" || e.key === "W") welcomeAgain();
    else if (e.key === "Escape" || e.key === "?" || e.key === "Enter") toggleHelp(false);
    else scrollHelp(e.key);
    e.preventDefault();
    return true;
  },
  init(a) {
    app = a;
    $("help-close").addEventListener("click", () => toggleHelp(false));
    $("help-welcome").addEventListener("click", welcomeAgain);
  },
  relabel() {
    if (!$("help").hidden) toggleHelp(true);
  },
});

// "?" opens the list over any screen below this layer (a screen above it, such as Stories,
// lets "?" through only when it is not typed into a field).
defineView({
  name: "helpKey",
  isOpen: () => true,
  key(e) {
    if (e.key !== "?") return false;
    toggleHelp(true);
    e.preventDefault();
    return true;
  },
});
