// Rehearse main window: pick a question, record an answer against its timer, play takes back.
// Rust owns the deadline and the authoritative duration; this page renders and interpolates.
import { api, errorKind, errorText, events, localMessage, type DeckSummary, type Question, type ScheduleRow, type Take } from "./api";
import { clock, localDateTime, seconds, SILENT_DBFS } from "./format";
import { initI18n, lang, setLang, t, tIn, translateStatic, type Lang } from "./i18n";
import { closeMicPanel, initMicPanel, isMicPanelOpen, openMicPanel } from "./miccheck";
import { initPractice, openSetup, practiceKey, practiceScreen, rememberedCount, startStoryDrill } from "./practice";
import { archiveBusy, importAllFrom, initReview, openReview, reviewKey } from "./review";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { callKey, initCall, openCall } from "./call";
import { initStories, openStories, storiesKey } from "./stories";
import { tRows } from "./i18n";
import { showLevel } from "./meter";
import { showFailure } from "./failure";
import { initWelcome, isWelcomeOpen, openWelcome, renderWelcome, welcomeKey } from "./welcome";
import "./styles.css";

type RecState = "idle" | "starting" | "recording" | "saving";

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
};

const state = {
  schedule: new Map<string, ScheduleRow>(),
  questions: [] as Question[],
  selected: null as Question | null,
  takes: [] as Take[],
  rec: "idle" as RecState,
  elapsedMs: 0,
  elapsedAt: 0, // performance.now() of the last authoritative elapsed value
  playing: null as number | null,
  confirmAction: null as null | (() => void),
  dataDir: null as string | null,
  decks: [] as DeckSummary[],
};

// ---------- rendering ----------

/** A deck's own name in the UI language (never its id, e.g. "video-call"). */
function deckName(deckId: string): string {
  const d = state.decks.find((x) => x.id === deckId);
  return d?.name[lang()] ?? d?.name.en ?? deckId;
}

function qText(q: Question): string {
  return q.text[lang()] ?? q.text.en ?? Object.values(q.text)[0] ?? q.id;
}

function renderQuestions(): void {
  const list = $("question-list");
  list.replaceChildren();
  let deck = "";
  for (const q of state.questions) {
    if (q.deck_id !== deck) {
      deck = q.deck_id;
      const h = document.createElement("li");
      h.className = "deck-heading";
      h.setAttribute("role", "presentation");
      h.textContent = deckName(deck);
      list.append(h);
    }
    const li = document.createElement("li");
    li.className = "question-item";
    li.dataset.id = q.id;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", String(state.selected?.id === q.id));
    const label = document.createElement("span");
    label.className = "question-label";
    label.textContent = qText(q);
    li.append(label);
    const sched = state.schedule.get(q.id);
    if (sched && (sched.leech || sched.due_at <= new Date().toISOString())) {
      const mark = document.createElement("span");
      mark.className = sched.leech ? "q-mark q-leech" : "q-mark q-due";
      mark.textContent = sched.leech ? t("schedule.leech") : t("schedule.due");
      li.append(mark);
    }
    li.title = q.id;
    li.addEventListener("click", () => void select(q.id));
    list.append(li);
  }
}

function renderQuestion(): void {
  const q = state.selected;
  $("empty-stage").hidden = q !== null;
  $("question-view").hidden = q === null;
  if (!q) return;
  $("question-category").textContent = tIn("category", q.category, { defaultValue: q.category });
  // The id is a detail: shown in the shortcut list's "about" lines, not on the main screen.
  $("question-id").textContent = "";
  $("question-text").title = q.id;
  $("question-text").textContent = qText(q);
  renderRecorder();
  renderTakes();
}

function elapsedNow(): number {
  if (state.rec !== "recording") return state.elapsedMs;
  return state.elapsedMs + (performance.now() - state.elapsedAt);
}

function renderRecorder(): void {
  const q = state.selected;
  if (!q) return;
  const box = $("rec-state");
  box.dataset.state = state.rec;
  $("rec-label").textContent = tIn("recorder", state.rec);
  const elapsed = Math.min(elapsedNow(), q.answer_secs * 1000);
  $("elapsed").textContent = state.rec === "recording" ? clock(elapsed) : "";
  const left = q.answer_secs * 1000 - (state.rec === "idle" ? 0 : elapsed);
  const cd = $("countdown");
  cd.textContent = clock(left + 999);
  cd.dataset.level = state.rec === "idle" ? "" : left <= 10_000 ? "red" : left <= 30_000 ? "amber" : "";
  const btn = $<HTMLButtonElement>("record-btn");
  btn.textContent = state.rec === "idle" ? t("recorder.start") : t("recorder.stop");
  btn.dataset.state = state.rec;
  btn.disabled = state.rec === "starting" || state.rec === "saving";
  document.body.dataset.recording = String(state.rec === "recording");
  if (state.rec === "idle") setMeter(-96, -96, false);
}

function setMeter(peak: number, rms: number, clipped: boolean): void {
  showLevel("meter", peak, rms);
  if (clipped) $("clip").hidden = false;
  if (state.rec === "idle") $("clip").hidden = true;
}

function renderTakes(): void {
  const ul = $("takes");
  ul.replaceChildren();
  for (const take of state.takes) {
    const li = document.createElement("li");
    li.className = "take";
    li.dataset.takeId = String(take.id);
    const when = document.createElement("span");
    when.className = "take-when";
    when.textContent = localDateTime(take.started_at, lang());
    const dur = document.createElement("span");
    dur.className = "take-duration";
    dur.dataset.ms = String(take.duration_ms);
    dur.textContent = seconds(take.duration_ms);
    const play = document.createElement("button");
    play.className = "play-btn";
    const isPlaying = state.playing === take.id;
    play.textContent = isPlaying ? `■ ${t("takes.stopPlay")}` : `▶ ${t("takes.play")}`;
    play.dataset.playing = String(isPlaying);
    play.addEventListener("click", () => void togglePlay(take.id));
    const del = document.createElement("button");
    del.className = "delete-btn";
    del.textContent = t("takes.delete");
    del.addEventListener("click", () => askDelete(take));
    li.append(when, dur);
    if (take.status !== "ok") {
      const badge = document.createElement("span");
      badge.className = `take-badge take-${take.status}`;
      badge.textContent = tIn("takes", take.status);
      li.append(badge);
    }
    if (take.dropped_frames > 0) {
      const warn = document.createElement("span");
      warn.className = "take-warn";
      warn.textContent = t("takes.dropped", { count: take.dropped_frames });
      li.append(warn);
    }
    li.append(play, del);
    const info = document.createElement("div");
    info.className = "take-info";
    if (take.rating) info.textContent = t("takes.rated", { rating: tIn("rating", ["again", "hard", "good", "easy"][take.rating - 1]) });
    li.append(info);
    void api.takeMetrics(take.id).then((m) => {
      const text =
        m.time_to_first_word_ms === null
          ? t("takes.noSpeech")
          : t("takes.metrics", { first: seconds(m.time_to_first_word_ms), speaking: seconds(m.speaking_ms), pauses: m.long_pauses.length });
      info.textContent = [info.textContent, text].filter(Boolean).join(" · ");
    }, () => undefined);
    ul.append(li);
  }
  $("no-takes").hidden = state.takes.length > 0;
  $("take-count").textContent = state.takes.length ? `(${state.takes.length})` : "";
}

function renderAll(): void {
  translateStatic();
  renderWelcome();
  document.querySelectorAll<HTMLButtonElement>(".lang-btn").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === lang())));
  renderQuestions();
  renderQuestion();
}

function showError(message: string): void {
  $("error-text").textContent = message;
  $("error-banner").hidden = false;
}

function showWarning(message: string): void {
  $("warning-text").textContent = message;
  $("warning-links").replaceChildren();
  $("warning-banner").hidden = false;
}

function showStatus(message: string): void {
  $("status-line").textContent = message;
}

/** After a recovery, the banner links to each question a recovered take belongs to. */
function linkRecovered(questionIds: string[]): void {
  const box = $("warning-links");
  box.replaceChildren();
  for (const id of questionIds) {
    const q = state.questions.find((x) => x.id === id);
    const b = document.createElement("button");
    b.className = "banner-link";
    b.dataset.question = id;
    b.textContent = t("firstHour.goToQuestion", { question: q ? qText(q) : id });
    b.addEventListener("click", () => void select(id));
    box.append(b);
  }
}

// ---------- actions ----------

async function select(id: string): Promise<void> {
  if (state.rec !== "idle") return;
  state.selected = state.questions.find((q) => q.id === id) ?? null;
  state.takes = [];
  renderQuestions();
  renderQuestion();
  document.querySelector(`.question-item[data-id="${CSS.escape(id)}"]`)?.scrollIntoView({ block: "nearest" });
  await reloadTakes();
}

async function reloadSchedule(): Promise<void> {
  const rows = await api.listSchedule();
  state.schedule = new Map(rows.map((r) => [r.question_id, r]));
  const due = rows.filter((r) => r.due_at <= new Date().toISOString()).length;
  $("due-count").textContent = due ? t("schedule.dueCount", { count: due }) : "";
}

async function reloadTakes(): Promise<void> {
  const q = state.selected;
  if (!q) return;
  try {
    const takes = await api.listTakes(q.id);
    if (state.selected?.id === q.id) {
      state.takes = takes;
      renderTakes();
    }
  } catch (e) {
    showError(errorText(e));
  }
}

async function toggleRecord(): Promise<void> {
  const q = state.selected;
  if (!q) return;
  if (state.rec === "idle") {
    $("error-banner").hidden = true;
    $("warning-banner").hidden = true;
    state.rec = "starting";
    state.elapsedMs = 0;
    renderRecorder();
    try {
      const missing = await api.startRecording(q.id);
      if (missing) showWarning(t("warn.deviceGone", { name: missing }));
    } catch (e) {
      state.rec = "idle";
      renderRecorder();
      // Refused because an import or export of everything, or something else in this window,
      // runs: not a microphone problem.
      const kind = errorKind(e) ?? "";
      const refused = kind === "archive_running" || kind.startsWith("busy_");
      showError(refused ? errorText(e) : t("errors.noMic", { message: errorText(e) }));
    }
  } else if (state.rec === "recording") {
    state.rec = "saving";
    renderRecorder();
    try {
      const take = await api.stopRecording();
      onSaved(take);
    } catch (e) {
      // Already stopped by itself (deadline), or too short to keep: the finished or failed
      // event reports it.
      const kind = e && typeof e === "object" ? (e as { kind?: string }).kind : undefined;
      if (kind !== "not_recording" && kind !== "too_short") showError(errorText(e));
    }
  }
}

function onSaved(take: Take): void {
  state.rec = "idle";
  $("warning-banner").hidden = true;
  state.elapsedMs = take.duration_ms;
  renderRecorder();
  showStatus(t("status.saved", { id: take.id, duration: seconds(take.duration_ms) }));
  void reloadTakes();
}

async function togglePlay(takeId: number): Promise<void> {
  try {
    if (state.playing === takeId) {
      await api.stopPlayback();
      state.playing = null;
    } else {
      await api.playTake(takeId);
      state.playing = takeId;
    }
  } catch (e) {
    state.playing = null;
    showError(errorText(e));
  }
  renderTakes();
}

function askDelete(take: Take): void {
  $("confirm-text").textContent = t("confirm.deleteTake", { when: localDateTime(take.started_at, lang()), duration: seconds(take.duration_ms) });
  state.confirmAction = () => {
    void (async () => {
      try {
        if (state.playing === take.id) await api.stopPlayback();
        await api.deleteTake(take.id);
      } catch (e) {
        showError(errorText(e));
      }
      await reloadTakes();
    })();
  };
  $("confirm").hidden = false;
  $("confirm-yes").focus();
}

function closeConfirm(run: boolean): void {
  const action = state.confirmAction;
  state.confirmAction = null;
  $("confirm").hidden = true;
  if (run && action) action();
}

function moveSelection(delta: number): void {
  if (!state.questions.length) return;
  const i = state.questions.findIndex((q) => q.id === state.selected?.id);
  const next = i < 0 ? 0 : Math.max(0, Math.min(state.questions.length - 1, i + delta));
  void select(state.questions[next].id);
}

// ---------- wiring ----------

function toggleHelp(open: boolean): void {
  const table = $("help-table");
  table.replaceChildren();
  for (const [keys, what] of tRows("help.rows")) {
    const tr = document.createElement("tr");
    const k = document.createElement("td");
    const kbd = document.createElement("kbd");
    kbd.textContent = keys;
    k.append(kbd);
    const w = document.createElement("td");
    w.textContent = what;
    tr.append(k, w);
    table.append(tr);
  }
  const about = [state.dataDir ? t("status.data", { dir: state.dataDir }) : "", state.selected ? t("firstHour.questionId", { id: state.selected.id }) : ""];
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

function openReviewScreen(): void {
  if (state.rec === "idle") void openReview();
}

function openPractice(): void {
  if (state.rec === "idle") void openSetup(state.questions);
}

function onKey(e: KeyboardEvent): void {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (archiveBusy()) {
    e.preventDefault(); // the export/import modal is up: nothing may start meanwhile
    return;
  }
  if (isWelcomeOpen()) {
    // The mic check opened from the welcome sits on top of it and takes the keys first.
    if (isMicPanelOpen()) {
      if (e.key === "Escape") closeMicPanel();
    } else welcomeKey(e);
    return;
  }
  if (!$("help").hidden) {
    if (e.key === "w" || e.key === "W") {
      toggleHelp(false);
      void openWelcome();
    } else if (e.key === "Escape" || e.key === "?" || e.key === "Enter") toggleHelp(false);
    else scrollHelp(e.key);
    e.preventDefault();
    return;
  }
  if (storiesKey(e)) return; // before "?": a story's text may contain one
  if (e.key === "?") {
    toggleHelp(true);
    e.preventDefault();
    return;
  }
  if (isMicPanelOpen()) {
    if (e.key === "Escape") closeMicPanel();
    return; // the panel's own controls take the keys (also over the call pre-flight)
  }
  if (callKey(e)) return;
  if (reviewKey(e)) return;
  if (practiceKey(e)) return;
  if (practiceScreen() !== "closed") return;
  if (isMicPanelOpen()) {
    if (e.key === "Escape") closeMicPanel();
    return; // the panel's own controls take the keys
  }
  if (!$("confirm").hidden) {
    if (e.key === "Escape") closeConfirm(false);
    else if (e.key === "Enter") closeConfirm(true);
    e.preventDefault();
    return;
  }
  switch (e.key) {
    case " ":
      e.preventDefault();
      void toggleRecord();
      break;
    case "ArrowDown":
    case "j":
      e.preventDefault();
      moveSelection(1);
      break;
    case "ArrowUp":
    case "k":
      e.preventDefault();
      moveSelection(-1);
      break;
    case "p":
      if (state.takes[0]) void togglePlay(state.takes[0].id);
      break;
    case "Delete":
      if (state.takes[0] && state.rec === "idle") askDelete(state.takes[0]);
      break;
    case "m":
      if (state.rec === "idle") void openMicPanel();
      break;
    case "s":
      openPractice();
      break;
    case "r":
      openReviewScreen();
      break;
    case "c":
      if (state.rec === "idle") void openCall();
      break;
    case "b":
      if (state.rec === "idle") void openStories();
      break;
    case "l":
      void setLang(lang() === "en" ? "ko" : "en", rememberLang).then(renderAll);
      break;
    case "Escape":
      $("error-banner").hidden = true;
      $("warning-banner").hidden = true;
      break;
  }
}

function tick(): void {
  if (state.rec === "recording") renderRecorder();
  requestAnimationFrame(tick);
}

const rememberLang = async (l: Lang): Promise<void> => {
  await api.setSetting("ui_language", l);
};

async function main(): Promise<void> {
  const status = await api.appStatus();
  await initI18n(status.ui_language, status.system_language);
  translateStatic();
  document.addEventListener("keydown", onKey);
  // Buttons lose focus after a click so that Space never "clicks" them a second time.
  document.addEventListener("mouseup", (e) => (e.target as HTMLElement).closest("button")?.blur());
  $("record-btn").addEventListener("click", () => void toggleRecord());
  $("error-close").addEventListener("click", () => ($("error-banner").hidden = true));
  $("mic-btn").addEventListener("click", () => {
    if (state.rec === "idle") void openMicPanel();
  });
  await initMicPanel((name) => showWarning(t("warn.deviceGone", { name })));
  $("practice-btn").addEventListener("click", openPractice);
  $("help-close").addEventListener("click", () => toggleHelp(false));
  $("help-welcome").addEventListener("click", () => {
    toggleHelp(false);
    void openWelcome();
  });
  initWelcome(async (l) => {
    await setLang(l, rememberLang);
    renderAll();
  });
  await initPractice(
    () => {
      void reloadTakes();
      void reloadSchedule().then(renderQuestions, () => undefined);
    },
    showError,
    openReviewScreen,
  );
  rememberedCount(status.practice_count);
  $("review-btn").addEventListener("click", openReviewScreen);
  initStories(
    () => undefined,
    () => void startStoryDrill(),
  );
  $("call-btn").addEventListener("click", () => {
    if (state.rec === "idle") void openCall();
  });
  await initCall(() => {
    void reloadTakes();
    void reloadSchedule().then(renderQuestions, () => undefined);
  }, showError);
  await initReview(() => {
    void reloadTakes();
    void reloadSchedule().then(renderQuestions, () => undefined);
  }, showError);
  // A Rehearse archive dropped on the window is imported (as "Import everything…" does).
  await getCurrentWebview().onDragDropEvent((e) => {
    if (e.payload.type !== "drop") return;
    const zip = e.payload.paths.find((p) => p.toLowerCase().endsWith(".zip"));
    if (zip) void importAllFrom(zip);
    else if (e.payload.paths.length) showError(t("review.dropNotArchive", { name: e.payload.paths[0] }));
  });
  $("warning-close").addEventListener("click", () => ($("warning-banner").hidden = true));
  $("confirm-no").addEventListener("click", () => closeConfirm(false));
  $("confirm-yes").addEventListener("click", () => closeConfirm(true));
  document.querySelectorAll<HTMLButtonElement>(".lang-btn").forEach((b) =>
    b.addEventListener("click", () => void setLang(b.dataset.lang as Lang, rememberLang).then(renderAll)),
  );

  await events.onStarted(() => {
    state.rec = "recording";
    state.elapsedMs = 0;
    state.elapsedAt = performance.now();
    renderRecorder();
  });
  await events.onLevel((l) => {
    if (state.rec !== "recording") return;
    state.elapsedMs = l.elapsed_ms;
    state.elapsedAt = performance.now();
    setMeter(l.peak_dbfs ?? SILENT_DBFS, l.rms_dbfs ?? SILENT_DBFS, l.clipped);
  });
  await events.onFinished((take) => onSaved(take));
  await events.onFailed((f) => {
    state.rec = "idle";
    renderRecorder();
    showFailure(f, showError, showWarning);
    void reloadTakes();
  });
  await events.onSilent((e) => showWarning(t("warn.silent", { seconds: Math.round(e.seconds ?? 0) })));
  await events.onDiskLow((e) => showWarning(t("warn.diskLow", { time: clock(e.seconds_left * 1000) })));
  // A stream error the device recovers from (an overrun, say): the take goes on, but may have a gap.
  await events.onWarning(() => showWarning(t("warn.micProblem")));
  await events.onPlayback(({ take_id, event }) => {
    if (event.type === "finished" && state.playing === take_id) {
      state.playing = null;
      renderTakes();
    } else if (event.type === "failed") {
      showError(localMessage(event.kind, event.message));
    }
  });

  if (status.error) {
    showError(t("errors.library", { message: status.error.message }));
  }
  // The data folder is a detail for the "about" lines of the shortcut list (?).
  state.dataDir = status.data_dir;
  const rec = status.recovery;
  if (rec && rec.recovered.length) {
    const seconds = (rec.recovered.reduce((a, t) => a + t.duration_ms, 0) / 1000).toFixed(1);
    showWarning(t("warn.recovered", { count: rec.recovered.length, seconds }));
  }
  for (const s of rec?.sessions ?? []) {
    if (s.status === "recovered") showWarning(t("warn.recoveredCall", { time: clock((s.seconds ?? 0) * 1000), markers: s.markers }));
  }
  if (status.leftovers_freed > 0) {
    showStatus(t("warn.leftovers", { mb: (status.leftovers_freed / 1e6).toFixed(1) }));
  }
  if (rec && rec.damaged.length) {
    showError(t("warn.damaged", { count: rec.damaged.length, files: rec.damaged.map((d) => d.file).join(", ") }));
  }
  try {
    state.questions = await api.listQuestions();
    state.decks = await api.listDecks();
    await reloadSchedule();
  } catch (e) {
    if (!status.error) showError(errorText(e));
  }
  renderAll();
  const recoveredTo = [...new Set((rec?.recovered ?? []).map((x) => x.question_id))];
  if (recoveredTo.length && !$("warning-banner").hidden) linkRecovered(recoveredTo);
  if (state.questions.length) await select(recoveredTo[0] ?? state.questions[0].id);
  // First launch in this data folder: the welcome, in the user's language (the system's,
  // until one is chosen). Shown before the window reports ready.
  if (!status.welcome_seen && !status.error) await openWelcome();
  document.body.dataset.ready = "true";
  requestAnimationFrame(tick);
}

// A start-up failure is shown, not left as a blank window (and tests can read it).
void main().catch((e: unknown) => {
  const text = e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : errorText(e);
  document.body.dataset.startError = text;
  showError(text);
});
