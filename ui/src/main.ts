// Rehearse main window: pick a question, record an answer against its timer, play takes back.
// Rust owns the deadline and the authoritative duration; this page renders and interpolates.
import { api, errorText, events, type Question, type ScheduleRow, type Take } from "./api";
import { clock, localDateTime, seconds } from "./format";
import { initI18n, lang, setLang, t, translateStatic, type Lang } from "./i18n";
import { closeMicPanel, initMicPanel, isMicPanelOpen, openMicPanel } from "./miccheck";
import { initPractice, openSetup, practiceKey, practiceScreen } from "./practice";
import { archiveBusy, importAllFrom, initReview, openReview, reviewKey } from "./review";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { callKey, initCall, openCall } from "./call";
import { tRows } from "./i18n";
import { showLevel } from "./meter";
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
};

// ---------- rendering ----------

function deckName(deckId: string): string {
  const names: Record<string, Record<Lang, string>> = {
    databases: { en: "Databases", ko: "데이터베이스" },
    leadership: { en: "Leadership principles", ko: "리더십 원칙" },
  };
  return names[deckId]?.[lang()] ?? deckId;
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
  $("question-category").textContent = t(`category.${q.category}`, { defaultValue: q.category });
  $("question-id").textContent = q.id;
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
  $("rec-label").textContent = t(`recorder.${state.rec}`);
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
      badge.textContent = t(`takes.${take.status}`);
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
    if (take.rating) info.textContent = t("takes.rated", { rating: t(`rating.${["again", "hard", "good", "easy"][take.rating - 1]}`) });
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
  $("warning-banner").hidden = false;
}

function showStatus(message: string): void {
  $("status-line").textContent = message;
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
      showError(t("errors.noMic", { message: errorText(e) }));
    }
  } else if (state.rec === "recording") {
    state.rec = "saving";
    renderRecorder();
    try {
      const take = await api.stopRecording();
      onSaved(take);
    } catch (e) {
      // Already stopped by itself (deadline): the finished event reports the take.
      if (!(e && typeof e === "object" && (e as { kind?: string }).kind === "not_recording")) showError(errorText(e));
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
  $("help").hidden = !open;
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
  if (!$("help").hidden) {
    if (e.key === "Escape" || e.key === "?" || e.key === "Enter") toggleHelp(false);
    e.preventDefault();
    return;
  }
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

const rememberLang = (l: Lang): Promise<void> => api.setSetting("ui_language", l);

async function main(): Promise<void> {
  const status = await api.appStatus();
  await initI18n(status.ui_language);
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
  await initPractice(() => {
    void reloadTakes();
    void reloadSchedule().then(renderQuestions, () => undefined);
  }, showError);
  $("review-btn").addEventListener("click", openReviewScreen);
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
    setMeter(l.peak_dbfs, l.rms_dbfs, l.clipped);
  });
  await events.onFinished((take) => onSaved(take));
  await events.onFailed((f) => {
    state.rec = "idle";
    renderRecorder();
    // The engine's message already says how much was saved.
    showError(t("errors.failed", { message: f.message }));
    void reloadTakes();
  });
  await events.onSilent((e) => showWarning(t("warn.silent", { seconds: Math.round(e.seconds) })));
  await events.onDiskLow((e) => showWarning(t("warn.diskLow", { time: clock(e.seconds_left * 1000) })));
  await events.onPlayback(({ take_id, event }) => {
    if (event.type === "finished" && state.playing === take_id) {
      state.playing = null;
      renderTakes();
    } else if (event.type === "failed") {
      showError(event.message);
    }
  });

  if (status.error) {
    showError(t("errors.library", { message: status.error.message }));
  } else if (status.data_dir) {
    showStatus(t("status.data", { dir: status.data_dir }));
  }
  const rec = status.recovery;
  if (rec && rec.recovered.length) {
    const seconds = (rec.recovered.reduce((a, t) => a + t.duration_ms, 0) / 1000).toFixed(1);
    showWarning(t("warn.recovered", { count: rec.recovered.length, seconds }));
  }
  for (const s of rec?.sessions ?? []) {
    if (s.status === "recovered") showWarning(t("warn.recoveredCall", { time: clock(s.seconds * 1000), markers: s.markers }));
  }
  if (rec && rec.damaged.length) {
    showError(t("warn.damaged", { count: rec.damaged.length, files: rec.damaged.map((d) => d.file).join(", ") }));
  }
  try {
    state.questions = await api.listQuestions();
    await reloadSchedule();
  } catch (e) {
    if (!status.error) showError(errorText(e));
  }
  renderAll();
  if (state.questions.length) await select(state.questions[0].id);
  document.body.dataset.ready = "true";
  requestAnimationFrame(tick);
}

// A start-up failure is shown, not left as a blank window (and tests can read it).
void main().catch((e: unknown) => {
  const text = e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : errorText(e);
  document.body.dataset.startError = text;
  showError(text);
});
