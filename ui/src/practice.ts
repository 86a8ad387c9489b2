// Practice sessions: setup (deck, filters, count, order, language), the session itself
// (think → automatic recording → review and rating), and the summary. The timeline is
// driven by Rust (src-tauri/src/practice.rs); this page renders it and sends key presses.
// Length: setup, session and summary are the three screens of one practice view and share its
// state and its one event handler.
import { onStoryDrill, storyAnswer, storyPickKey, storyTakeSaved, storyThink } from "./stories";
import { open as openDialog, save as saveDialog } from "@tauri-apps/plugin-dialog";
import { api, errorText, events, storyApi, localMessage, togglePlayback, type DeckSummary, type PracticePhase, type Question, type Take } from "./api";
import { clock, seconds, SILENT_DBFS } from "./format";
import { lang, t, tIn } from "./i18n";
import { showLevel } from "./meter";
import { showFailure } from "./failure";
import { initReveal, revealTranscript } from "./transcript";
import { $ } from "./dom";
import { defineView, type App } from "./views";

type Screen = "closed" | "setup" | "session" | "summary";

const p = {
  screen: "closed" as Screen,
  decks: [] as DeckSummary[],
  deckIndex: 0,
  deckQuestions: [] as Question[],
  phase: null as PracticePhase | null,
  question: null as Question | null,
  language: "en",
  // countdowns: think runs from its event; the answer from the first sample (Rust's clock)
  thinkEndsAt: 0,
  answerMs: null as number | null,
  recording: false,
  elapsedMs: 0,
  elapsedAt: 0,
  take: null as Take | null,
  retakesLeft: 0,
  maxTakes: 1,
  /** performance.now() of a first Esc during an answer: a second within 3 s ends the session. */
  endArmed: 0,
  /** The take being played back in the rating step, if any. */
  playing: null as number | null,
  /** Whether the running (or last) session records past the limit: no take is "time up". */
  overtime: false,
  onOpenReview: (() => {}) as () => void,
  onClose: (() => {}) as () => void,
  showError: (_m: string) => {},
  allQuestions: (): Question[] => [],
};

function show(screen: Screen): void {
  p.screen = screen;
  $("practice-view").hidden = screen === "closed";
  $("practice-setup").hidden = screen !== "setup";
  $("practice-session").hidden = screen !== "session";
  $("practice-summary").hidden = screen !== "summary";
}

// ---------- setup ----------

async function openSetup(allQuestions: Question[]): Promise<void> {
  try {
    p.decks = await api.listDecks();
  } catch (e) {
    p.showError(errorText(e));
    return;
  }
  p.deckQuestions = allQuestions;
  p.deckIndex = Math.min(p.deckIndex, Math.max(0, p.decks.length - 1));
  ($("p-language") as HTMLSelectElement).value = lang();
  const order = $("p-order") as HTMLSelectElement;
  const chosen = order.value || "in_order";
  order.replaceChildren(
    new Option(t("practice.inOrder"), "in_order"),
    new Option(t("practice.shuffled"), "shuffled"),
    new Option(t("practice.dueFirst"), "due_first"),
  );
  order.value = chosen;
  renderDecks();
  show("setup");
  $("deck-list").focus();
}

function deckQuestions(): Question[] {
  const deck = p.decks[p.deckIndex];
  return deck ? p.deckQuestions.filter((q) => q.deck_id === deck.id) : [];
}

function renderDecks(): void {
  const ul = $("deck-list");
  ul.replaceChildren();
  p.decks.forEach((d, i) => {
    const li = document.createElement("li");
    li.dataset.deck = d.id;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", String(i === p.deckIndex));
    const name = document.createElement("div");
    name.textContent = d.name[lang()] ?? d.name.en ?? d.id;
    const meta = document.createElement("div");
    meta.className = "deck-meta";
    const languages = d.languages.map((l) => ({ en: "English", ko: "한국어" })[l] ?? l).join(", ");
    meta.textContent = t("firstHour.deckMeta", { count: d.questions, languages });
    li.append(name, meta);
    li.addEventListener("click", () => {
      p.deckIndex = i;
      renderDecks();
    });
    ul.append(li);
  });
  // Filters follow the deck: its categories and tags.
  const qs = deckQuestions();
  fillSelect($("p-category") as HTMLSelectElement, [...new Set(qs.map((q) => q.category))]);
  fillSelect($("p-tag") as HTMLSelectElement, [...new Set(qs.flatMap((q) => q.tags))].sort());
  const count = $("p-count") as HTMLInputElement;
  count.max = String(Math.max(1, qs.length));
  if (!count.dataset.touched) count.value = String(Math.min(5, Math.max(1, qs.length)));
  updateMatching();
}

/** The question count of the last session (Rust remembers it when a session starts). */
function rememberedCount(n: number | null): void {
  if (n === null || n < 1) return;
  const count = $("p-count") as HTMLInputElement;
  count.value = String(n);
  count.dataset.touched = "1";
}

function fillSelect(sel: HTMLSelectElement, values: string[]): void {
  const keep = sel.value;
  sel.replaceChildren(new Option(t("practice.any"), ""), ...values.map((v) => new Option(tIn("category", v, { defaultValue: v }), v)));
  sel.value = values.includes(keep) ? keep : "";
}

function matching(): Question[] {
  const cat = ($("p-category") as HTMLSelectElement).value;
  const tag = ($("p-tag") as HTMLSelectElement).value;
  return deckQuestions().filter((q) => (!cat || q.category === cat) && (!tag || q.tags.includes(tag)));
}

function updateMatching(): void {
  $("p-matching").textContent = t("practice.matching", { count: matching().length });
}

async function importDeck(): Promise<void> {
  const path = await openDialog({ multiple: false, directory: false, filters: [{ name: "Rehearse deck", extensions: ["toml"] }] });
  if (typeof path !== "string") return;
  try {
    const r = await api.importDeck(path);
    $("p-deck-status").textContent = t("practice.imported", { id: r.deck_id, added: r.added, updated: r.updated, retired: r.retired });
    p.deckQuestions = await api.listQuestions();
    p.decks = await api.listDecks();
    p.deckIndex = Math.max(0, p.decks.findIndex((d) => d.id === r.deck_id));
    renderDecks();
  } catch (e) {
    p.showError(errorText(e));
  }
}

async function exportDeck(): Promise<void> {
  const deck = p.decks[p.deckIndex];
  if (!deck) return;
  const path = await saveDialog({ defaultPath: `${deck.id}.toml`, filters: [{ name: "Rehearse deck", extensions: ["toml"] }] });
  if (!path) return;
  try {
    await api.exportDeck(deck.id, path);
    $("p-deck-status").textContent = t("practice.exported", { id: deck.id, path });
  } catch (e) {
    p.showError(errorText(e));
  }
}

async function startSession(): Promise<void> {
  const deck = p.decks[p.deckIndex];
  if (!deck) return;
  const count = Math.max(1, parseInt(($("p-count") as HTMLInputElement).value, 10) || 1);
  p.language = ($("p-language") as HTMLSelectElement).value;
  p.overtime = ($("p-overtime") as HTMLInputElement).checked;
  await begin(() =>
    api.startPractice({
      deck_id: deck.id,
      category: ($("p-category") as HTMLSelectElement).value || null,
      tag: ($("p-tag") as HTMLSelectElement).value || null,
      count,
      order: ($("p-order") as HTMLSelectElement).value as "in_order" | "shuffled" | "due_first",
      language: p.language,
      overtime: p.overtime,
    }),
  );
}

/** A story drill (from the Stories screen): run on this screen, in the UI's language. */
async function startStoryDrill(): Promise<void> {
  p.language = lang();
  p.overtime = false;
  await begin(() => storyApi.drill(p.language, null));
}

/** Starts a session (`start` asks Rust) and shows it. */
async function begin(start: () => Promise<unknown>): Promise<void> {
  // Nothing of an earlier session (or the markup's default) may look like this one's think
  // time: the phase and question come from Rust's first event.
  setPhase("starting", t("practice.starting"));
  $("s-question").textContent = "";
  try {
    await start();
    show("session");
  } catch (e) {
    p.showError(errorText(e));
  }
}

// ---------- session ----------

function qText(q: Question): string {
  return q.text[p.language] ?? q.text.en ?? Object.values(q.text)[0] ?? q.id;
}

function setPhase(kind: string, label: string): void {
  const el = $("s-phase");
  el.dataset.phase = kind;
  el.textContent = label;
}

function onPhase(e: PracticePhase): void {
  p.phase = e;
  // The no-input warning belongs to the answer being recorded: gone once it ends.
  $("s-silent").hidden = true;
  p.endArmed = 0;
  if (e.phase !== "review") void stopPlay();
  switch (e.phase) {
    case "think":
      p.question = e.question;
      p.answerMs = e.answer_ms;
      p.recording = false;
      p.elapsedMs = 0;
      p.take = null;
      p.maxTakes = e.question.retakes;
      p.thinkEndsAt = performance.now() + e.think_ms;
      $("s-progress").textContent = t("practice.progress", { n: e.index + 1, total: e.total });
      $("s-take").textContent = t("practice.take", { n: e.take_number, max: e.question.retakes });
      $("s-saved").textContent = "";
      $("s-question").textContent = qText(e.question);
      $("s-review").hidden = true;
      void revealTranscript(null, $("s-keypoints"));
      $("s-hint").textContent = t("practice.hintThink");
      setPhase("think", t("practice.think"));
      setMeter(-96, -96);
      void storyThink(e.question, e.story); // the story pick, or a drill's story (stories.ts)
      break;
    case "answer":
      setPhase("starting", t("practice.starting"));
      $("s-hint").textContent = t("practice.hintAnswer");
      break;
    case "review":
      p.recording = false;
      p.take = e.take;
      p.retakesLeft = e.retakes_left;
      void storyTakeSaved(e.take.id, p.showError);
      setPhase("review", t("practice.review"));
      $("s-countdown").textContent = seconds(e.take.duration_ms) + (timeUp(e.take) ? ` · ${t("welcomeFinish.timeUp")}` : "");
      $("s-countdown").dataset.level = "";
      $("s-countdown").dataset.timeUp = String(timeUp(e.take));
      renderReview(e.is_last);
      $("s-hint").textContent = t("practice.hintReview");
      break;
    case "error":
      p.recording = false;
      p.retakesLeft = e.retakes_left;
      setPhase("error", t("practice.error"));
      // A take too short to keep is told by the practice-failed event, in the page's language.
      if (e.kind !== "too_short") p.showError(localMessage(e.kind, e.message));
      renderReview(false);
      break;
    case "done":
      renderSummary(e.summary);
      show("summary");
      $("sum-close").focus();
      break;
  }
}

function renderReview(isLast: boolean): void {
  const q = p.question;
  const ul = $("s-keypoints");
  ul.replaceChildren();
  for (const point of q?.key_points[p.language] ?? q?.key_points.en ?? []) {
    const li = document.createElement("li");
    li.textContent = point;
    ul.append(li);
  }
  // Only this screen's rating buttons (review and blind re-rate have their own).
  document.querySelectorAll<HTMLButtonElement>("#s-review .rate-btn").forEach((b) => {
    b.setAttribute("aria-pressed", String(p.take?.rating === Number(b.dataset.rating)));
    b.disabled = !p.take;
  });
  renderPlay();
  ($("s-best") as HTMLButtonElement).disabled = !p.take;
  $("s-best").querySelector("span")!.textContent = p.take?.best ? t("practice.isBest") : t("practice.best");
  ($("s-retake") as HTMLButtonElement).disabled = p.retakesLeft <= 0;
  $("s-retake-label").textContent = p.retakesLeft > 0 ? t("practice.retake", { left: p.retakesLeft }) : t("practice.noRetake");
  $("s-next").querySelector("span")!.textContent = isLast ? t("practice.finish") : t("practice.next");
  $("s-review").hidden = false;
  void revealTranscript(p.take?.id ?? null, ul);
}

async function rate(r: number): Promise<void> {
  if (!p.take) return;
  try {
    p.take = await api.rateTake(p.take.id, r);
    renderReview(p.phase?.phase === "review" && p.phase.is_last);
  } catch (e) {
    p.showError(errorText(e));
  }
}

async function best(): Promise<void> {
  if (!p.take) return;
  try {
    p.take = await api.markBest(p.take.id);
    renderReview(p.phase?.phase === "review" && p.phase.is_last);
  } catch (e) {
    p.showError(errorText(e));
  }
}

function send(cmd: Parameters<typeof api.practice>[0]): void {
  api.practice(cmd).catch((e) => p.showError(errorText(e)));
}

// ---------- hearing the take before rating it (Space or P, as in review) ----------

function renderPlay(): void {
  const btn = $("s-play");
  const playing = p.playing !== null && p.playing === p.take?.id;
  btn.dataset.playing = String(playing);
  (btn as HTMLButtonElement).disabled = !p.take;
  btn.querySelector("span")!.textContent = playing ? t("firstHour.stopPlay") : t("firstHour.play");
}

async function togglePlay(): Promise<void> {
  const take = p.take;
  if (!take) return;
  try {
    if (p.playing === take.id) {
      await api.stopPlayback();
      p.playing = null;
    } else {
      await api.playTake(take.id);
      p.playing = take.id;
    }
  } catch (e) {
    p.playing = null;
    p.showError(errorText(e));
  }
  renderPlay();
}

async function stopPlay(): Promise<void> {
  if (p.playing === null) return;
  p.playing = null;
  renderPlay();
  await api.stopPlayback().catch(() => undefined);
}

/** Esc while an answer records: the first asks, a second within 3 s keeps the answer and ends. */
function endDuringAnswer(): void {
  const now = performance.now();
  if (now - p.endArmed < 3000) {
    p.endArmed = 0;
    send("end");
    return;
  }
  p.endArmed = now;
  $("s-hint").textContent = t("firstHour.endConfirm");
  $("s-hint").dataset.armed = "true";
}

function setMeter(peak: number, rms: number): void {
  showLevel("s-meter", peak, rms);
}

function tick(): void {
  if (p.screen === "session" && p.phase) {
    if (p.endArmed && performance.now() - p.endArmed >= 3000) {
      p.endArmed = 0;
      $("s-hint").dataset.armed = "false";
      if (p.phase.phase === "answer") $("s-hint").textContent = t("practice.hintAnswer");
    }
    const cd = $("s-countdown");
    if (p.phase.phase === "think") {
      cd.textContent = clock(Math.max(0, p.thinkEndsAt - performance.now()) + 999);
      cd.dataset.level = "";
    } else if (p.recording) {
      const elapsed = p.elapsedMs + (performance.now() - p.elapsedAt);
      if (p.answerMs === null) {
        cd.textContent = clock(elapsed);
        cd.dataset.level = "";
      } else {
        const left = p.answerMs - elapsed;
        cd.textContent = left >= 0 ? clock(left + 999) : t("practice.overrun", { time: clock(-left) });
        cd.dataset.level = left <= 10_000 ? "red" : left <= 30_000 ? "amber" : "";
      }
    }
  }
  requestAnimationFrame(tick);
}

type SummaryRows = { question_id: string; text: string; takes: Take[] }[];

/** A take that ran to its answer limit (the capture stops at the exact sample, so a take
 * within 50 ms of it was stopped by the clock, not by the user). */
function timeUp(take: Take): boolean {
  const q = p.deckQuestions.find((x) => x.id === take.question_id);
  return !!q && !p.overtime && take.duration_ms >= q.answer_secs * 1000 - 50;
}

function renderSummary(s: { questions: number; takes: number; total_ms: number; rows: SummaryRows }): void {
  $("sum-line").textContent = t("practice.summaryLine", { questions: s.questions, takes: s.takes, time: clock(s.total_ms) });
  const tbody = $("sum-rows");
  tbody.replaceChildren();
  const ratingName = (r: number | null) => (r ? tIn("rating", ["again", "hard", "good", "easy"][r - 1]) : t("rating.none"));
  for (const row of s.rows) {
    const tr = document.createElement("tr");
    tr.dataset.question = row.question_id;
    const q = document.createElement("td");
    q.textContent = row.text;
    const n = document.createElement("td");
    n.textContent = String(row.takes.length);
    const d = document.createElement("td");
    d.className = "sum-takes";
    for (const x of row.takes) {
      const line = document.createElement("div");
      line.className = "sum-take";
      const play = document.createElement("button");
      play.className = "sum-play";
      play.dataset.take = String(x.id);
      play.addEventListener("click", () => void toggleSummaryPlay(x.id));
      const len = document.createElement("span");
      len.textContent = seconds(x.duration_ms) + (x.best ? " ★" : "");
      line.append(play, len);
      if (timeUp(x)) {
        const mark = document.createElement("span");
        mark.className = "time-up";
        mark.textContent = t("welcomeFinish.timeUp");
        line.append(mark);
      }
      d.append(line);
    }
    const r = document.createElement("td");
    r.className = "sum-rating";
    r.textContent = row.takes.map((x) => ratingName(x.rating)).join(", ");
    const next = document.createElement("td");
    next.className = "sum-next";
    tr.append(q, n, d, r, next);
    tbody.append(tr);
  }
  renderSummaryPlay();
  // The next review day of each question, from the schedule the ratings just moved.
  void api.listSchedule().then((rows) => {
    for (const tr of tbody.querySelectorAll<HTMLElement>("tr")) {
      const due = rows.find((x) => x.question_id === tr.dataset.question)?.due_at;
      const cell = tr.querySelector<HTMLElement>(".sum-next");
      if (cell) cell.textContent = due ? localDay(due) : t("welcomeFinish.notRated");
    }
  }, () => undefined);
}

function localDay(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString(lang() === "ko" ? "ko-KR" : "en-GB", { month: "short", day: "numeric", weekday: "short" });
}

function renderSummaryPlay(): void {
  document.querySelectorAll<HTMLButtonElement>(".sum-play").forEach((b) => {
    const playing = p.playing === Number(b.dataset.take);
    b.dataset.playing = String(playing);
    b.textContent = playing ? `■ ${t("firstHour.stopPlay")}` : "▶";
    b.title = playing ? t("firstHour.stopPlay") : t("firstHour.play");
  });
}

async function toggleSummaryPlay(takeId: number): Promise<void> {
  try {
    p.playing = await togglePlayback(p.playing, takeId);
  } catch (e) {
    p.playing = null;
    p.showError(errorText(e));
  }
  renderSummaryPlay();
}

function close(): void {
  show("closed");
  p.onClose();
}

/** The summary's link to review: the session's takes are at the top of the list there. */
function openReviewFromSummary(): void {
  close();
  p.onOpenReview();
}

/** Keys while the practice view is open. Returns true when the key was handled. */
function practiceKey(e: KeyboardEvent): boolean {
  if (p.screen === "closed") return false;
  const key = e.key;
  if (p.screen === "setup") {
    const inField = (e.target as HTMLElement).closest("select, input");
    if (key === "Escape") close();
    else if (key === "Enter") void startSession();
    else if (!inField && (key === "i" || key === "I")) void importDeck();
    else if (!inField && (key === "e" || key === "E")) void exportDeck();
    else if (!inField && (key === "ArrowDown" || key === "ArrowUp" || key === "Home" || key === "End")) {
      const last = p.decks.length - 1;
      p.deckIndex = key === "Home" ? 0 : key === "End" ? last : Math.max(0, Math.min(last, p.deckIndex + (key === "ArrowDown" ? 1 : -1)));
      renderDecks();
    } else return false;
    e.preventDefault();
    return true;
  }
  if (p.screen === "summary") {
    if (key === "Enter" || key === "Escape") void stopPlay().then(close);
    else if (key === " " || key === "p" || key === "P") {
      // Space plays the first take of the summary (or stops what plays).
      const first = document.querySelector<HTMLElement>(".sum-play");
      if (p.playing !== null) void toggleSummaryPlay(p.playing);
      else if (first) void toggleSummaryPlay(Number(first.dataset.take));
    } else if (key === "r" || key === "R") void stopPlay().then(openReviewFromSummary);
    else return false;
    e.preventDefault();
    return true;
  }
  // session
  const phase = p.phase?.phase;
  if (key === "Escape" && phase === "answer") endDuringAnswer();
  else if (key === "Escape") send("end");
  else if (key === " " && phase === "think") send("skip_think");
  else if (phase === "think" && storyPickKey(key)) return true; // 0–9 pick the story (stories.ts)
  else if (key === " " && phase === "answer") send("stop_answer");
  else if ((key === " " || key === "p" || key === "P") && phase === "review") void togglePlay();
  else if ((key === " " || key === "Enter") && phase === "error") send("next");
  else if (key === "Enter" && phase === "review") send("next");
  else if (["1", "2", "3", "4"].includes(key) && phase === "review") void rate(Number(key));
  else if ((key === "b" || key === "B") && phase === "review") void best();
  else if ((key === "r" || key === "R") && (phase === "review" || phase === "error") && p.retakesLeft > 0) send("retake");
  else return false;
  e.preventDefault();
  return true;
}

async function init(app: App): Promise<void> {
  const showError = app.showError;
  p.onClose = app.changed;
  p.onOpenReview = () => app.open("review");
  p.showError = showError;
  p.allQuestions = app.questions;
  rememberedCount(app.status.practice_count);
  onStoryDrill(() => void startStoryDrill());
  await events.onPractice(onPhase);
  await events.onPracticeStarted(() => {
    p.recording = true;
    p.elapsedMs = 0;
    p.elapsedAt = performance.now();
    setPhase("answer", t("practice.answer"));
    storyAnswer();
  });
  await events.onPracticeLevel((l) => {
    p.elapsedMs = l.elapsed_ms;
    p.elapsedAt = performance.now();
    setMeter(l.peak_dbfs ?? SILENT_DBFS, l.rms_dbfs ?? SILENT_DBFS);
  });
  await initReveal($("s-keypoints"));
  await events.onPracticeFailed((f) => showFailure(f, showError, showError));
  // Shown inside the session (above its own view), not in the main window's banner.
  await events.onPracticeSilent((e) => {
    if (!p.recording) return;
    $("s-silent-text").textContent = t("warn.silent", { seconds: Math.round(e.seconds ?? 0) });
    $("s-silent").hidden = false;
  });
  await events.onPracticeWarning(() => showError(t("warn.micProblem")));
  await events.onPracticeDiskLow((e) => showError(t("warn.diskLow", { time: clock(e.seconds_left * 1000) })));
  // The answer is on disk (the review follows): say so, with its length.
  await events.onPracticeFinished((take) => ($("s-saved").textContent = t("practice.saved", { time: clock(take.duration_ms) })));
  await events.onPlayback(({ take_id, event }) => {
    if (event.type !== "finished" && event.type !== "failed") return;
    if (p.playing === take_id) {
      p.playing = null;
      renderPlay();
      renderSummaryPlay();
    }
  });
  $("p-start").addEventListener("click", () => void startSession());
  $("p-cancel").addEventListener("click", close);
  $("p-import").addEventListener("click", () => void importDeck());
  $("p-export").addEventListener("click", () => void exportDeck());
  $("sum-close").addEventListener("click", () => void stopPlay().then(close));
  $("sum-review").addEventListener("click", () => void stopPlay().then(openReviewFromSummary));
  ["p-category", "p-tag"].forEach((id) => $(id).addEventListener("change", updateMatching));
  $("p-count").addEventListener("input", () => ($("p-count").dataset.touched = "1"));
  document.querySelectorAll<HTMLButtonElement>("#s-review .rate-btn").forEach((b) => b.addEventListener("click", () => void rate(Number(b.dataset.rating))));
  $("s-play").addEventListener("click", () => void togglePlay());
  $("s-best").addEventListener("click", () => void best());
  $("s-retake").addEventListener("click", () => send("retake"));
  $("s-next").addEventListener("click", () => send("next"));
  requestAnimationFrame(tick);
}

// While open it takes every key: nothing behind it may start.
defineView({
  name: "practice",
  isOpen: () => p.screen !== "closed",
  key: (e) => practiceKey(e) || true,
  init,
  open: () => openSetup(p.allQuestions()),
});
