// The question screen: pick a question, record an answer against its timer, play takes back.
// Rust owns the deadline and the authoritative duration; this view renders and interpolates.
// It is the view underneath every other one, and the one that starts them (S, R, C, B, M).
import { api, errorKind, errorText, events, localMessage, togglePlayback, type DeckSummary, type Question, type ScheduleRow, type Take } from "./api";
import { hideBanners, warningLinks, warningShown } from "./banners";
import { $ } from "./dom";
import { showFailure } from "./failure";
import { clock, localDateTime, seconds, SILENT_DBFS } from "./format";
import { lang, t, tIn } from "./i18n";
import { showLevel } from "./meter";
import { defineView, type App } from "./views";

type RecState = "idle" | "starting" | "recording" | "saving";

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

function relabel(): void {
  document.querySelectorAll<HTMLButtonElement>(".lang-btn").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === lang())));
  renderQuestions();
  renderQuestion();
}

/** After a recovery, the banner links to each question a recovered take belongs to. */
function linkRecovered(questionIds: string[]): void {
  warningLinks(
    questionIds.map((id) => {
      const q = state.questions.find((x) => x.id === id);
      return { label: t("firstHour.goToQuestion", { question: q ? qText(q) : id }), data: { question: id }, go: () => void select(id) };
    }),
  );
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
    app.showError(errorText(e));
  }
}

async function toggleRecord(): Promise<void> {
  const q = state.selected;
  if (!q) return;
  if (state.rec === "idle") {
    hideBanners();
    state.rec = "starting";
    state.elapsedMs = 0;
    renderRecorder();
    try {
      const missing = await api.startRecording(q.id);
      if (missing) app.showWarning(t("warn.deviceGone", { name: missing }));
    } catch (e) {
      state.rec = "idle";
      renderRecorder();
      // Refused because an import or export of everything, or something else in this window,
      // runs: not a microphone problem.
      const kind = errorKind(e) ?? "";
      const refused = kind === "archive_running" || kind.startsWith("busy_");
      app.showError(refused ? errorText(e) : t("errors.noMic", { message: errorText(e) }));
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
      if (kind !== "not_recording" && kind !== "too_short") app.showError(errorText(e));
    }
  }
}

function onSaved(take: Take): void {
  state.rec = "idle";
  $("warning-banner").hidden = true; // a notice about the take just saved is over
  state.elapsedMs = take.duration_ms;
  renderRecorder();
  app.showStatus(t("status.saved", { id: take.id, duration: seconds(take.duration_ms) }));
  void reloadTakes();
}

async function togglePlay(takeId: number): Promise<void> {
  try {
    state.playing = await togglePlayback(state.playing, takeId);
  } catch (e) {
    state.playing = null;
    app.showError(errorText(e));
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
        app.showError(errorText(e));
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


/** The selected question's id, for the shortcut list's "about" line. */
export function selectedQuestionId(): string | null {
  return state.selected?.id ?? null;
}

/** A screen on top of this one may open only while no take is being recorded here. */
function idle(): boolean {
  return state.rec === "idle";
}

function onKey(e: KeyboardEvent): boolean {
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
      if (state.takes[0] && idle()) askDelete(state.takes[0]);
      break;
    case "m":
      if (idle()) app.open("mic");
      break;
    case "s":
      if (idle()) app.open("practice");
      break;
    case "r":
      if (idle()) app.open("review");
      break;
    case "c":
      if (idle()) app.open("call");
      break;
    case "b":
      if (idle()) app.open("stories");
      break;
    case "l":
      void app.setLanguage(lang() === "en" ? "ko" : "en");
      break;
    case "Escape":
      hideBanners();
      break;
    default:
      return false;
  }
  return true;
}

function tick(): void {
  if (state.rec === "recording") renderRecorder();
  requestAnimationFrame(tick);
}

/** Recovery at start: how much was saved, and a link to each question it belongs to. */
function showRecovery(): void {
  const status = app.status;
  const rec = status.recovery;
  if (rec && rec.recovered.length) {
    const seconds = (rec.recovered.reduce((a, t) => a + t.duration_ms, 0) / 1000).toFixed(1);
    app.showWarning(t("warn.recovered", { count: rec.recovered.length, seconds }));
  }
  for (const s of rec?.sessions ?? []) {
    if (s.status === "recovered") app.showWarning(t("warn.recoveredCall", { time: clock((s.seconds ?? 0) * 1000), markers: s.markers }));
  }
  if (status.leftovers_freed > 0) {
    app.showStatus(t("warn.leftovers", { mb: (status.leftovers_freed / 1e6).toFixed(1) }));
  }
  if (rec && rec.damaged.length) {
    app.showError(t("warn.damaged", { count: rec.damaged.length, files: rec.damaged.map((d) => d.file).join(", ") }));
  }
}

let app: App;

async function init(a: App): Promise<void> {
  app = a;
  $("record-btn").addEventListener("click", () => void toggleRecord());
  const opener = (name: "mic" | "practice" | "review" | "call") => () => {
    if (idle()) app.open(name);
  };
  $("mic-btn").addEventListener("click", opener("mic"));
  $("practice-btn").addEventListener("click", opener("practice"));
  $("review-btn").addEventListener("click", opener("review"));
  $("call-btn").addEventListener("click", opener("call"));
  $("confirm-no").addEventListener("click", () => closeConfirm(false));
  $("confirm-yes").addEventListener("click", () => closeConfirm(true));
  document.querySelectorAll<HTMLButtonElement>(".lang-btn").forEach((b) =>
    b.addEventListener("click", () => void app.setLanguage(b.dataset.lang as "en" | "ko")),
  );
  app.onChanged(() => {
    void reloadTakes();
    void reloadSchedule().then(renderQuestions, () => undefined);
  });

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
    showFailure(f, app.showError, app.showWarning);
    void reloadTakes();
  });
  await events.onSilent((e) => app.showWarning(t("warn.silent", { seconds: Math.round(e.seconds ?? 0) })));
  await events.onDiskLow((e) => app.showWarning(t("warn.diskLow", { time: clock(e.seconds_left * 1000) })));
  // A stream error the device recovers from (an overrun, say): the take goes on, but may have a gap.
  await events.onWarning(() => app.showWarning(t("warn.micProblem")));
  await events.onPlayback(({ take_id, event }) => {
    if (event.type === "finished" && state.playing === take_id) {
      state.playing = null;
      renderTakes();
    } else if (event.type === "failed") {
      app.showError(localMessage(event.kind, event.message));
    }
  });

  showRecovery();
  try {
    state.questions = app.questions();
    state.decks = await api.listDecks();
    await reloadSchedule();
  } catch (e) {
    if (!app.status.error) app.showError(errorText(e));
  }
  relabel();
  const recoveredTo = [...new Set((app.status.recovery?.recovered ?? []).map((x) => x.question_id))];
  if (recoveredTo.length && warningShown()) linkRecovered(recoveredTo);
  if (state.questions.length) await select(recoveredTo[0] ?? state.questions[0].id);
  requestAnimationFrame(tick);
}

defineView({ name: "questions", isOpen: () => true, key: onKey, init, relabel });

// The delete confirmation: a modal over the question screen.
defineView({
  name: "confirm",
  isOpen: () => !$("confirm").hidden,
  key(e) {
    if (e.key === "Escape") closeConfirm(false);
    else if (e.key === "Enter") closeConfirm(true);
    e.preventDefault();
    return true;
  },
});
