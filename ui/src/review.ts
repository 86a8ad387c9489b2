// Review: the library of every take (filters, search, sorts), a take's detail (waveform,
// playback with seek, speed and skipped silences, bookmarks, rating, rubric, notes), A/B
// compare and blind re-rating. Keyboard first: every action has a key, listed in the help overlay (?).
// Length: the library list, a take's detail (player, rubric, bookmarks, notes), compare, blind
// re-rate and exports share one state (`st`: the rows, the selected take, its player) and one
// render of it; progress, speech settings, story parts, transcript and waveform are their own
// modules. Splitting the rest by section would pass that state around through every file.
import { open as openDialog, save as saveDialog } from "@tauri-apps/plugin-dialog";
import {
  api,
  errorText,
  localMessage,
  events,
  reviewApi,
  storyApi,
  transcriptApi,
  type LibraryRow,
  type PrincipleLevel,
  type RatingFilter,
  type Rubric,
  type TakeQuery,
  type TakeReview,
  type TakeTranscript,
  type TranscriptionEvent,
  type ModelOff,
} from "./api";
import { normaliseDate } from "./interviewdate";
import { initSpeechSettings, openSpeechSettings, speechSettingsKey, speechSettingsOpen } from "./speechSettings";
import { clearReviewTranscript, decorateReviewTranscript, showHeardInRubric, unconfirmedHeard } from "./transcript";
import { clock, localDateTime, seconds } from "./format";
import { lang, t, tIn, type Key } from "./i18n";
import { closeProgress, initProgress, openProgress, progressKey, progressOpen } from "./progress";
import { render as renderStoryParts, showStoryParts, storyPartsKey } from "./storyParts";
import { TakeWave } from "./waveform";

import { $, flashText, typingIn } from "./dom";
import { defineView } from "./views";
import { getCurrentWebview } from "@tauri-apps/api/webview";

const PAGE = 200;
const SPEEDS = [0.75, 1, 1.25, 1.5, 1.75, 2];
const RATING_KEYS = ["again", "hard", "good", "easy"];

interface Player {
  takeId: number;
  positionMs: number;
  playing: boolean;
  ended: boolean;
  /** Started with the take's long silences left out. */
  skip: boolean;
}

const st = {
  open: false,
  /** An export or import of everything is running: its modal takes no keys. */
  busy: false,
  rows: [] as LibraryRow[],
  total: 0,
  selected: 0,
  detail: null as TakeReview | null,
  wave: null as TakeWave | null,
  speed: 1,
  /** Skip silences (a remembered setting); the detail's player only: compare and blind
   * re-rating play takes whole, since long pauses are part of what is judged there. */
  skip: false,
  /** The skippable silences of the take shown, once fetched. */
  silences: null as { takeId: number; spans: { startMs: number; endMs: number }[] } | null,
  player: null as Player | null,
  /** The transcript of the take shown (null until loaded). */
  transcript: null as (TakeTranscript & { takeId: number }) | null,
  compare: null as { left: TakeReview; right: TakeReview; others: number[]; waves: TakeWave[]; story: string | null } | null,
  blind: null as { review: TakeReview; rated: boolean; rating?: number } | null,
  showError: (_: string) => undefined as void,
  onClose: () => undefined as void,
  searchTimer: 0,
};

// ---------- opening and closing ----------

async function openReview(): Promise<void> {
  st.open = true;
  $("review-view").hidden = false;
  document.body.dataset.screen = "review";
  // Said again in the language of now (the last state came while another may have been on).
  showTranscriptionStatus(await transcriptApi.status().catch(() => null));
  await fillFilters();
  await runQuery();
}

function closeReview(): void {
  void stopPlayer();
  closeCompare();
  closeBlind();
  closeProgress();
  st.wave?.destroy();
  st.wave = null;
  st.detail = null;
  st.open = false;
  // A "saved" flash belongs to this visit (and to the language it was said in).
  flashText($("d-saved"), "", 0);
  $("review-view").hidden = true;
  delete document.body.dataset.screen;
  st.onClose();
}

// ---------- filters and the list ----------

async function fillFilters(): Promise<void> {
  const decks = await api.listDecks();
  const questions = await api.listQuestions();
  const deckSel = $<HTMLSelectElement>("f-deck");
  const keep = deckSel.value;
  deckSel.replaceChildren(option("", t("review.allDecks")));
  for (const d of decks) deckSel.append(option(d.id, d.name[lang()] ?? d.name.en ?? d.id));
  deckSel.value = keep;
  const cats = [...new Set(questions.map((q) => q.category))].sort();
  fill($<HTMLSelectElement>("f-category"), cats, (c) => tIn("category", c, { defaultValue: c }));
  const tags = [...new Set(questions.flatMap((q) => q.tags))].filter((x) => x !== "seed").sort();
  fill($<HTMLSelectElement>("f-tag"), tags, (x) => x);
}

function option(value: string, label: string): HTMLOptionElement {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = label;
  return o;
}

function fill(sel: HTMLSelectElement, values: string[], label: (v: string) => string): void {
  const keep = sel.value;
  sel.replaceChildren(option("", t("practice.any")));
  for (const v of values) sel.append(option(v, label(v)));
  sel.value = values.includes(keep) ? keep : "";
}

/** The day typed in a filter field as YYYY-MM-DD (the spellings the interview date takes),
 *  or null; a field holding something else is marked and leaves its bound open. */
function dayIn(id: string): string | null {
  const el = $<HTMLInputElement>(id);
  const raw = el.value.trim();
  const day = raw ? normaliseDate(raw) : null;
  el.setAttribute("aria-invalid", String(raw !== "" && day === null));
  return day;
}

/** Says which day field holds no day (one line, in the UI's language). */
function checkDayField(id: string): void {
  const el = $<HTMLInputElement>(id);
  const raw = el.value.trim();
  const day = raw ? normaliseDate(raw) : null;
  if (day) el.value = day;
  const bad = ["f-from", "f-to"].map((f) => $<HTMLInputElement>(f).value.trim()).find((v) => v && normaliseDate(v) === null);
  const today = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  const example = `${today.getFullYear()}-${p(today.getMonth() + 1)}-${p(today.getDate())}`;
  $("f-day-error").textContent = bad ? t("review.badDay", { value: bad, example }) : "";
}

function currentQuery(offset: number): TakeQuery {
  const v = (id: string) => $<HTMLInputElement | HTMLSelectElement>(id).value.trim() || null;
  const rating = v("f-rating");
  const status = v("f-status");
  const sort = ($<HTMLSelectElement>("f-sort").value || "date") as TakeQuery["sort"];
  return {
    deck: v("f-deck"),
    category: v("f-category"),
    tag: v("f-tag"),
    ratings: rating ? [rating as RatingFilter] : [],
    from: dayIn("f-from"),
    to: dayIn("f-to"),
    statuses: status ? [status] : [],
    best_only: $<HTMLInputElement>("f-best").checked,
    search: v("f-search"),
    said: v("f-said"),
    sort,
    descending: !$<HTMLInputElement>("f-asc").checked,
    limit: PAGE,
    offset,
  };
}

async function runQuery(more = false): Promise<void> {
  try {
    const page = await reviewApi.query(currentQuery(more ? st.rows.length : 0));
    st.rows = more ? st.rows.concat(page.rows) : page.rows;
    st.total = page.total;
    if (!more) st.selected = 0;
    renderList();
    if (!more) await showDetail();
  } catch (e) {
    st.showError(errorText(e));
  }
}

function qText(r: { question_text: Record<string, string> }): string {
  return r.question_text[lang()] ?? r.question_text.en ?? Object.values(r.question_text)[0] ?? "";
}

function ratingLabel(r: number | null): string {
  return r ? tIn("rating", RATING_KEYS[r - 1]) : t("review.unrated");
}

function renderList(): void {
  const ul = $("lib-list");
  ul.replaceChildren();
  $("lib-count").textContent = t("review.count", { shown: st.rows.length, total: st.total });
  let lastQuestion = "";
  st.rows.forEach((row, i) => {
    // Grouped by question: consecutive takes of one question share a heading.
    if (row.take.question_id !== lastQuestion) {
      lastQuestion = row.take.question_id;
      const h = document.createElement("li");
      h.className = "lib-group";
      h.textContent = qText(row);
      if (row.leech) {
        const m = document.createElement("span");
        m.className = "q-mark q-leech";
        m.textContent = t("schedule.leech");
        h.append(" ", m);
      }
      ul.append(h);
    }
    const li = document.createElement("li");
    li.className = "lib-row";
    li.dataset.takeId = String(row.take.id);
    li.setAttribute("aria-selected", String(i === st.selected));
    const when = document.createElement("span");
    when.className = "lib-when";
    when.textContent = localDateTime(row.take.started_at, lang());
    const dur = document.createElement("span");
    dur.className = "lib-dur";
    dur.textContent = seconds(row.take.duration_ms);
    const rating = document.createElement("span");
    rating.className = "lib-rating";
    rating.dataset.rating = String(row.take.rating ?? 0);
    rating.textContent = ratingLabel(row.take.rating);
    li.append(when, dur, rating);
    if (row.take.best) li.append(badge("★", "lib-best"));
    if (row.take.status !== "ok") li.append(badge(tIn("takes", row.take.status), "take-badge"));
    li.addEventListener("click", () => {
      st.selected = i;
      renderList();
      void showDetail();
    });
    ul.append(li);
  });
  $("lib-more").hidden = st.rows.length >= st.total;
  $("lib-empty").hidden = st.rows.length > 0;
  ul.querySelector("[aria-selected='true']")?.scrollIntoView({ block: "nearest" });
}

function badge(text: string, cls: string): HTMLElement {
  const b = document.createElement("span");
  b.className = cls;
  b.textContent = text;
  return b;
}

function move(delta: number): void {
  if (!st.rows.length) return;
  st.selected = Math.max(0, Math.min(st.rows.length - 1, st.selected + delta));
  renderList();
  void showDetail();
}

// ---------- the detail of one take ----------

async function loadWave(container: HTMLElement, takeId: number, durationMs: number, onSeek: (ms: number) => void, fit = false): Promise<TakeWave> {
  const width = Math.max(200, Math.min(2000, Math.round(container.clientWidth || 800)));
  const peaks = await reviewApi.peaks(takeId, width);
  container.replaceChildren();
  return TakeWave.create(container, peaks.map(([lo, hi]) => [lo ?? 0, hi ?? 0] as [number, number]), durationMs, onSeek, fit);
}

async function showDetail(): Promise<void> {
  const row = st.rows[st.selected];
  st.wave?.destroy();
  st.wave = null;
  $("detail").hidden = !row;
  if (!row) return;
  if (st.player && st.player.takeId !== row.take.id) await stopPlayer();
  try {
    st.detail = await reviewApi.review(row.take.id);
  } catch (e) {
    st.showError(errorText(e));
    return;
  }
  renderDetail();
  void loadTranscript(row.take.id);
  void showStoryParts(row.take.id, st.showError);
  $("detail").scrollTop = 0;
  try {
    st.wave = await loadWave($("d-wave"), row.take.id, row.take.duration_ms, (ms) => void seekTo(ms));
    renderMarks();
    void renderShades();
  } catch (e) {
    $("d-wave").textContent = errorText(e);
  }
}

function renderDetail(): void {
  const d = st.detail;
  if (!d) return;
  const take = d.take;
  $("d-question").textContent = d.question.text[lang()] ?? d.question.text.en ?? d.question.id;
  $("d-meta").textContent = `${localDateTime(take.started_at, lang())} · ${seconds(take.duration_ms)}`;
  const m = d.metrics;
  $("d-metrics").textContent = m
    ? m.time_to_first_word_ms === null
      ? t("takes.noSpeech")
      : t("takes.metrics", { first: seconds(m.time_to_first_word_ms), speaking: seconds(m.speaking_ms), pauses: m.long_pauses.length })
    : "";
  document.querySelectorAll<HTMLButtonElement>("#d-rating .rate-btn").forEach((b) => {
    b.setAttribute("aria-pressed", String(Number(b.dataset.rating) === take.rating));
  });
  const notes = $<HTMLTextAreaElement>("d-notes");
  if (document.activeElement !== notes) notes.value = take.notes;
  renderRubric();
  renderBookmarks();
  renderPlayer();
  renderStoryParts();
}

function keyPoints(d: TakeReview): string[] {
  return d.question.key_points[lang()] ?? d.question.key_points.en ?? Object.values(d.question.key_points)[0] ?? [];
}

function renderRubric(): void {
  const d = st.detail;
  if (!d) return;
  const ul = $("d-keypoints");
  ul.replaceChildren();
  keyPoints(d).forEach((text, i) => {
    const li = document.createElement("li");
    const label = document.createElement("label");
    label.className = "check";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.className = "kp-box";
    box.dataset.index = String(i);
    box.checked = (d.take.rubric.key_points ?? []).includes(i);
    box.addEventListener("change", () => void saveRubric());
    const span = document.createElement("span");
    span.textContent = text;
    label.append(box, span);
    li.append(label);
    ul.append(li);
  });
  const behavioural = d.question.category === "behavioural";
  $("d-star").hidden = !behavioural;
  for (const k of ["situation", "task", "action", "result", "i_not_we", "number"] as const) {
    $<HTMLInputElement>(`r-${k}`).checked = d.take.rubric[k] ?? false;
  }
  $<HTMLSelectElement>("r-principle").value = d.take.rubric.principle ?? "";
  showHeard();
}

/** "heard at 0:42" beside the key points the transcript heard (transcript.ts). */
function showHeard(): void {
  const d = st.detail;
  if (d) showHeardInRubric(d.take.id, $("d-keypoints"), d.take.rubric.key_points ?? [], (i) => void confirmHeard(i));
}

/** Ticks heard key points the user confirms (H: all of them), and stores the rubric. */
async function confirmHeard(indices: number[]): Promise<void> {
  if (!indices.length) return;
  document.querySelectorAll<HTMLInputElement>("#d-keypoints .kp-box").forEach((b) => {
    if (indices.includes(Number(b.dataset.index))) b.checked = true;
  });
  await saveRubric();
  renderRubric();
}

function rubricFromForm(): Rubric {
  const covered = [...document.querySelectorAll<HTMLInputElement>("#d-keypoints .kp-box")].filter((b) => b.checked).map((b) => Number(b.dataset.index));
  const c = (k: string) => $<HTMLInputElement>(`r-${k}`).checked;
  const p = $<HTMLSelectElement>("r-principle").value;
  return {
    key_points: covered,
    situation: c("situation"),
    task: c("task"),
    action: c("action"),
    result: c("result"),
    i_not_we: c("i_not_we"),
    number: c("number"),
    principle: p ? (p as PrincipleLevel) : null,
  };
}

async function saveRubric(): Promise<void> {
  const d = st.detail;
  if (!d) return;
  try {
    d.take = await reviewApi.setRubric(d.take.id, rubricFromForm());
    updateRow(d.take);
    flash(t("review.saved"));
  } catch (e) {
    st.showError(errorText(e));
    renderRubric();
  }
}

async function saveNote(): Promise<void> {
  const d = st.detail;
  if (!d) return;
  const text = $<HTMLTextAreaElement>("d-notes").value;
  if (text === d.take.notes) return;
  try {
    d.take = await reviewApi.setNote(d.take.id, text);
    updateRow(d.take);
    flash(t("review.saved"));
  } catch (e) {
    st.showError(errorText(e));
  }
}

async function rate(r: number): Promise<void> {
  const d = st.detail;
  if (!d) return;
  try {
    const take = await api.rateTake(d.take.id, r);
    d.take = { ...d.take, ...take };
    updateRow(d.take);
    renderDetail();
    renderList();
  } catch (e) {
    st.showError(errorText(e));
  }
}

function updateRow(take: TakeReview["take"]): void {
  const row = st.rows.find((r) => r.take.id === take.id);
  if (row) row.take = take;
}

function flash(text: string): void {
  flashText($("d-saved"), text, 1500);
}

function renderBookmarks(): void {
  const d = st.detail;
  if (!d) return;
  const ul = $("d-bookmarks");
  ul.replaceChildren();
  for (const b of d.bookmarks) {
    const li = document.createElement("li");
    li.className = "bookmark";
    const at = document.createElement("button");
    at.className = "bm-at";
    at.textContent = clock(b.at_ms);
    at.addEventListener("click", () => void seekTo(b.at_ms, true));
    const note = document.createElement("span");
    note.textContent = b.note;
    const del = document.createElement("button");
    del.className = "delete-btn";
    del.textContent = "×";
    del.setAttribute("aria-label", t("takes.delete"));
    del.addEventListener("click", () => void deleteBookmark(b.id));
    li.append(at, note, del);
    ul.append(li);
  }
  renderMarks();
}

function renderMarks(): void {
  const d = st.detail;
  if (!d || !st.wave) return;
  st.wave.setMarks(d.bookmarks.map((b) => ({ atMs: b.at_ms, label: b.note || clock(b.at_ms) })));
}

function openBookmarkForm(): void {
  if (!st.detail) return;
  const pos = st.player?.takeId === st.detail.take.id ? st.player.positionMs : 0;
  $("bm-form").hidden = false;
  $("bm-form").dataset.atMs = String(Math.round(pos));
  $("bm-at").textContent = clock(pos);
  const input = $<HTMLInputElement>("bm-note");
  input.value = "";
  input.focus();
}

async function addBookmark(): Promise<void> {
  const d = st.detail;
  if (!d) return;
  const at = Number($("bm-form").dataset.atMs ?? 0);
  try {
    const b = await reviewApi.addBookmark(d.take.id, at, $<HTMLInputElement>("bm-note").value);
    d.bookmarks = [...d.bookmarks, b].sort((x, y) => x.at_ms - y.at_ms);
    renderBookmarks();
  } catch (e) {
    st.showError(errorText(e));
  }
  closeBookmarkForm();
}

function closeBookmarkForm(): void {
  $<HTMLInputElement>("bm-note").blur();
  $("bm-form").hidden = true;
}

async function deleteBookmark(id: number): Promise<void> {
  const d = st.detail;
  if (!d) return;
  try {
    await reviewApi.deleteBookmark(id);
    d.bookmarks = d.bookmarks.filter((b) => b.id !== id);
    renderBookmarks();
  } catch (e) {
    st.showError(errorText(e));
  }
}

// ---------- playback (through cpal in Rust; the page shows the position) ----------

/** Whether playback here leaves out silences: the setting, in the detail's player only. */
function skipping(): boolean {
  return st.skip && !st.compare && !st.blind;
}

async function playFrom(takeId: number, ms: number): Promise<void> {
  const skip = skipping();
  try {
    await reviewApi.play(takeId, Math.round(ms), st.speed, skip);
    st.player = { takeId, positionMs: ms, playing: true, ended: false, skip };
  } catch (e) {
    st.showError(errorText(e));
  }
  renderPlayer();
}

async function togglePlay(takeId: number): Promise<void> {
  const p = st.player;
  if (p && p.takeId === takeId && !p.ended && !p.playing && p.skip !== skipping()) {
    // Skip silences was toggled while paused: go on from here in the new mode.
    await playFrom(takeId, p.positionMs);
    return;
  }
  if (p && p.takeId === takeId && !p.ended) {
    await reviewApi.control(p.playing ? { pause: null } : { resume: null }).catch((e) => st.showError(errorText(e)));
    p.playing = !p.playing;
    renderPlayer();
    return;
  }
  await playFrom(takeId, 0);
}

async function seekTo(ms: number, andPlay = false): Promise<void> {
  const d = st.detail;
  if (!d) return;
  const target = Math.max(0, Math.min(ms, d.take.duration_ms));
  const p = st.player;
  if (p && p.takeId === d.take.id && !p.ended) {
    await reviewApi.control({ seek: target }).catch((e) => st.showError(errorText(e)));
    p.positionMs = target;
    if (andPlay && !p.playing && p.skip !== skipping()) {
      await playFrom(d.take.id, target);
    } else if (andPlay && !p.playing) {
      await reviewApi.control({ resume: null }).catch(() => undefined);
      p.playing = true;
    }
  } else if (andPlay) {
    await playFrom(d.take.id, target);
  } else {
    st.player = { takeId: d.take.id, positionMs: target, playing: false, ended: true, skip: skipping() };
  }
  renderPlayer();
}

async function setSpeed(delta: number): Promise<void> {
  const i = SPEEDS.indexOf(st.speed);
  st.speed = SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, i + delta))];
  $<HTMLSelectElement>("d-speed").value = String(st.speed);
  if (st.player && !st.player.ended) await reviewApi.control({ speed: st.speed }).catch((e) => st.showError(errorText(e)));
}

/** Turns skip silences on or off, remembers it, and applies it at once to what is playing. */
async function setSkip(on: boolean): Promise<void> {
  st.skip = on;
  $<HTMLInputElement>("d-skip").checked = on;
  api.setSetting("skip_silences", String(on)).catch((e) => st.showError(errorText(e)));
  void renderShades();
  const p = st.player;
  if (p && !p.ended && p.playing && p.skip !== skipping()) await playFrom(p.takeId, p.positionMs);
}

/** Shades the silences skip silences leaves out on the detail's waveform (when it is on). */
async function renderShades(): Promise<void> {
  const d = st.detail;
  if (!d || !st.wave) return;
  const wave = st.wave;
  if (!st.skip) {
    wave.setShades([]);
    return;
  }
  if (st.silences?.takeId !== d.take.id) {
    try {
      const spans = await reviewApi.silences(d.take.id);
      st.silences = { takeId: d.take.id, spans: spans.map((s) => ({ startMs: s.start_ms, endMs: s.end_ms })) };
    } catch {
      return; // an unreadable take: nothing to shade (playing it reports why)
    }
  }
  if (st.wave === wave && st.skip && st.silences?.takeId === st.detail?.take.id) wave.setShades(st.silences.spans);
}

async function stopPlayer(): Promise<void> {
  if (st.player && !st.player.ended) await api.stopPlayback().catch(() => undefined);
  st.player = null;
}

function renderPlayer(): void {
  const d = st.detail;
  if (!d) return;
  const p = st.player?.takeId === d.take.id ? st.player : null;
  const pos = p?.positionMs ?? 0;
  $("d-position").textContent = `${clock(pos)} / ${clock(d.take.duration_ms)}`;
  const btn = $("d-play");
  const playing = !!p && p.playing && !p.ended;
  btn.textContent = playing ? t("review.pause") : t("review.play");
  btn.dataset.playing = String(playing);
  st.wave?.setPosition(pos);
  highlightTranscript(pos);
  renderComparePlayers();
}

// ---------- transcript ----------

async function loadTranscript(takeId: number): Promise<void> {
  try {
    const tr = await transcriptApi.take(takeId);
    if (st.detail?.take.id !== takeId) return;
    st.transcript = { ...tr, takeId };
  } catch (e) {
    st.transcript = null;
    $("d-transcript-status").textContent = errorText(e);
    return;
  }
  renderTranscript();
}

function renderTranscript(): void {
  const tr = st.transcript;
  const body = $("d-transcript-body");
  const status = $("d-transcript-status");
  body.replaceChildren();
  status.textContent = "";
  if (!tr || tr.takeId !== st.detail?.take.id) {
    clearReviewTranscript();
    return;
  }
  const s = tr.state;
  if (s.state === "pending") status.textContent = t("review.transcriptPending");
  else if (s.state === "failed") status.textContent = t("review.transcriptFailed", { reason: s.reason });
  else if (s.state === "outdated") status.textContent = t("review.transcriptOutdated", { reason: s.reason, id: tr.takeId });
  // The engine's reason is English: the Korean sentence stands alone and the reason is the
  // status's tooltip (a detail, in every language).
  status.title = s.state === "failed" || s.state === "outdated" ? s.reason : "";
  // An outdated or failed transcript can be made again from here (Shift+T).
  $("d-transcribe-again").hidden = s.state !== "failed" && s.state !== "outdated";
  const segments = tr.transcript?.status === "done" ? tr.transcript.transcript.segments : [];
  if (tr.transcript?.status === "done" && segments.length === 0) status.textContent = t("review.transcriptEmpty");
  body.lang = tr.transcript?.transcript.language ?? "";
  for (const seg of segments) {
    const p = document.createElement("p");
    p.className = "tr-seg";
    p.dataset.startMs = String(seg.start_ms);
    p.dataset.endMs = String(seg.end_ms);
    const at = document.createElement("button");
    at.className = "tr-at";
    at.textContent = clock(seg.start_ms);
    at.addEventListener("click", () => void seekTo(seg.start_ms, true));
    p.append(at, " ");
    const words = seg.words.length ? seg.words : [{ start_ms: seg.start_ms, end_ms: seg.end_ms, text: seg.text.trim() }];
    words.forEach((w, i) => {
      const b = document.createElement("button");
      b.className = "tr-word";
      b.dataset.ms = String(w.start_ms);
      b.textContent = w.text;
      b.addEventListener("click", () => void seekTo(w.start_ms, true));
      p.append(b);
      if (i < words.length - 1) p.append(" ");
    });
    body.append(p);
  }
  decorateReviewTranscript(tr.takeId, tr, (language) => void changeLanguage(tr.takeId, language));
  showHeard();
  highlightTranscript(st.player?.takeId === tr.takeId ? st.player.positionMs : -1);
}

/** The take was answered in another language: it is transcribed again in that one. */
async function changeLanguage(takeId: number, language: string): Promise<void> {
  try {
    await transcriptApi.setLanguage(takeId, language);
    flash(t("review.saved"));
  } catch (e) {
    st.showError(errorText(e));
  }
  void loadTranscript(takeId);
}

/** Marks the segment being played (and the word in it). */
function highlightTranscript(pos: number): void {
  document.querySelectorAll<HTMLElement>("#d-transcript-body .tr-seg").forEach((p) => {
    const on = pos >= Number(p.dataset.startMs) && pos < Number(p.dataset.endMs);
    p.classList.toggle("current", on);
    if (on) p.setAttribute("aria-current", "true");
    else p.removeAttribute("aria-current");
  });
  let current: HTMLElement | null = null;
  document.querySelectorAll<HTMLElement>("#d-transcript-body .tr-word").forEach((w) => {
    w.classList.remove("current");
    if (Number(w.dataset.ms) <= pos) current = w;
  });
  (current as HTMLElement | null)?.classList.add("current");
}

/** T: focus the word being played (or the first); ←/→ on a word move between words. */
function focusWord(step: number): boolean {
  const words = [...document.querySelectorAll<HTMLButtonElement>("#d-transcript-body .tr-word")];
  if (!words.length) return false;
  const at = words.indexOf(document.activeElement as HTMLButtonElement);
  const start = at >= 0 ? at + step : Math.max(0, words.findIndex((w) => w.classList.contains("current")));
  words[Math.max(0, Math.min(words.length - 1, start))].focus();
  return true;
}

/** Why transcription is off, in the UI's language (the path and the command as they are). */
function modelOffText(off: ModelOff): string {
  const vars = { path: off.path ?? "", install: off.install };
  if (off.kind === "no_data_dir") return t("review.modelNoDataDir");
  return off.kind === "no_model" ? t("review.modelMissing", vars) : t("review.modelDamaged", vars);
}

function showTranscriptionStatus(e: TranscriptionEvent | null): void {
  const el = $("transcribe-status");
  if (!e) return;
  if (e.state === "working") el.textContent = t("review.transcribing", { index: e.index, total: e.total });
  else if (e.state === "off") el.textContent = modelOffText(e);
  else if (e.state === "stopped") el.textContent = t("review.transcriptionOff", { reason: e.reason });
  else if (e.state === "idle") el.textContent = "";
  if (e.state !== "transcribed" && e.state !== "failed") el.title = e.state === "stopped" ? e.reason : "";
  if ((e.state === "transcribed" || e.state === "failed") && e.take_id === st.detail?.take.id) void loadTranscript(e.take_id);
}

function onPlaybackEvent(takeId: number, type: string, positionMs: number): void {
  const p = st.player;
  if (!p || p.takeId !== takeId) return;
  p.positionMs = positionMs;
  if (type === "finished") {
    p.playing = false;
    p.ended = true;
  }
  renderPlayer();
  if (st.blind) renderBlind();
}

// ---------- A/B compare ----------

async function openCompare(): Promise<void> {
  const d = st.detail;
  if (!d) return;
  // A take of a story is compared with the story's other tellings, whatever question they
  // answered; any other take with the other takes of its question (core decides).
  const offered = await storyApi.comparable(d.take.id);
  const others = offered.takes;
  if (!others.length) {
    flash(t(offered.story === null ? "review.noOther" : "review.noOtherTelling"));
    return;
  }
  const right = await reviewApi.review(others[0].id);
  const story = offered.story === null ? null : (await storyApi.detail(offered.story)).title;
  await stopPlayer();
  st.compare = { left: d, right, others: others.map((x) => x.id), waves: [], story };
  $("compare").hidden = false;
  await renderCompare();
}

async function cycleCompare(): Promise<void> {
  const c = st.compare;
  if (!c) return;
  if (c.others.length < 2) {
    // Tab with nothing else to show still answers, in the overlay (the detail's flash is under it).
    compareStatus(t(c.story === null ? "review.compareOnlyTwo" : "review.compareOnlyTwoTellings"));
    return;
  }
  compareStatus("");
  const i = c.others.indexOf(c.right.take.id);
  c.right = await reviewApi.review(c.others[(i + 1) % c.others.length]);
  await stopPlayer();
  await renderCompare();
}

async function renderCompare(): Promise<void> {
  const c = st.compare;
  if (!c) return;
  c.waves.forEach((w) => w.destroy());
  c.waves = [];
  const questionText = (r: TakeReview) => r.question.text[lang()] ?? r.question.text.en ?? "";
  const twoQuestions = c.left.take.question_id !== c.right.take.question_id;
  $("cmp-question").textContent =
    c.story !== null ? t("review.compareStory", { title: c.story }) : questionText(c.left);
  $("compare").dataset.acrossQuestions = String(twoQuestions);
  for (const [side, r] of [["a", c.left], ["b", c.right]] as const) {
    const take = r.take;
    // Tellings of one story to different questions: each side says what it answered.
    const q = $(`cmp-${side}-question`);
    q.hidden = c.story === null;
    q.textContent = questionText(r);
    $(`cmp-${side}-when`).textContent = `${localDateTime(take.started_at, lang())} · ${seconds(take.duration_ms)}${take.best ? " · ★" : ""}`;
    $(`cmp-${side}-rating`).textContent = ratingLabel(take.rating);
    const kp = keyPoints(r);
    const covered = (take.rubric.key_points ?? []).length;
    const star = (["situation", "task", "action", "result"] as const).filter((k) => take.rubric[k]).map((k) => k[0].toUpperCase()).join("");
    const parts = [t("review.kpCovered", { n: covered, total: kp.length })];
    if (r.question.category === "behavioural") parts.push(`STAR ${star || "–"}`);
    const m = r.metrics;
    if (m && m.time_to_first_word_ms !== null) {
      parts.push(t("takes.metrics", { first: seconds(m.time_to_first_word_ms), speaking: seconds(m.speaking_ms), pauses: m.long_pauses.length }));
    }
    $(`cmp-${side}-scores`).textContent = parts.join(" · ");
    $(`cmp-${side}-notes`).textContent = take.notes;
    $(`cmp-${side}`).dataset.takeId = String(take.id);
    try {
      const w = await loadWave($(`cmp-${side}-wave`), take.id, take.duration_ms, (ms) => void playFrom(take.id, ms), true);
      c.waves.push(w);
    } catch (e) {
      $(`cmp-${side}-wave`).textContent = errorText(e);
    }
  }
  renderComparePlayers();
}

function renderComparePlayers(): void {
  const c = st.compare;
  if (!c) return;
  [c.left, c.right].forEach((r, i) => {
    const side = i === 0 ? "a" : "b";
    const p = st.player?.takeId === r.take.id ? st.player : null;
    const playing = !!p && p.playing && !p.ended;
    const btn = $(`cmp-${side}-play`);
    btn.dataset.playing = String(playing);
    btn.textContent = `${playing ? t("review.pause") : t("review.play")} (${side.toUpperCase()})`;
    c.waves[i]?.setPosition(p?.positionMs ?? 0);
  });
}

function compareStatus(text: string): void {
  flashText($("cmp-status"), text, 4000);
}

function closeCompare(): void {
  if (!st.compare) return;
  compareStatus("");
  st.compare.waves.forEach((w) => w.destroy());
  st.compare = null;
  $("compare").hidden = true;
}

// ---------- blind re-rate ----------

async function openBlind(): Promise<void> {
  try {
    const rows = await reviewApi.rerateCandidates(1);
    if (!rows.length) {
      flash(t("review.noBlind"));
      return;
    }
    await stopPlayer();
    // The review carries the earlier rating too; it is not shown until the new one is given.
    st.blind = { review: await reviewApi.review(rows[0].take.id), rated: false };
    $("blind").hidden = false;
    renderBlind();
    await playFrom(rows[0].take.id, 0);
  } catch (e) {
    st.showError(errorText(e));
  }
}

function renderBlind(): void {
  const b = st.blind;
  if (!b) return;
  const q = b.review.question;
  $("blind-question").textContent = q.text[lang()] ?? q.text.en ?? q.id;
  const p = st.player?.takeId === b.review.take.id ? st.player : null;
  $("blind-position").textContent = `${clock(p?.positionMs ?? 0)} / ${clock(b.review.take.duration_ms)}`;
  $("blind-result").hidden = !b.rated;
  // A blind re-rate starts with nothing selected; only the rating just given shows pressed.
  document.querySelectorAll<HTMLButtonElement>("#blind .rate-btn").forEach((btn) => {
    btn.setAttribute("aria-pressed", String(b.rated && Number(btn.dataset.rating) === b.rating));
  });
  $("blind-hint").textContent = b.rated ? t("review.blindNext") : t("review.blindHint");
}

async function blindRate(r: number): Promise<void> {
  const b = st.blind;
  if (!b || b.rated) return;
  try {
    const res = await reviewApi.blindRerate(b.review.take.id, r);
    b.rated = true;
    b.rating = r;
    $("blind-now").textContent = ratingLabel(res.rating);
    $("blind-then").textContent = ratingLabel(res.previous_rating);
    $("blind-result").dataset.same = String(res.rating === res.previous_rating);
    renderBlind();
  } catch (e) {
    st.showError(errorText(e));
  }
}

function closeBlind(): void {
  if (!st.blind) return;
  st.blind = null;
  $("blind").hidden = true;
}

// ---------- export ----------

async function exportTake(): Promise<void> {
  const d = st.detail;
  if (!d) return;
  const path = await saveDialog({ defaultPath: `${d.take.question_id}-${d.take.id}.wav`, filters: [{ name: "WAV", extensions: ["wav"] }] });
  if (!path) return;
  try {
    await reviewApi.exportTake(d.take.id, path);
    flash(t("review.exported", { path }));
  } catch (e) {
    st.showError(errorText(e));
  }
}

async function exportSession(): Promise<void> {
  const d = st.detail;
  if (!d || d.take.session_id === null) {
    flash(t("review.noSession"));
    return;
  }
  const path = await saveDialog({ defaultPath: `rehearse-session-${d.take.session_id}.zip`, filters: [{ name: "ZIP", extensions: ["zip"] }] });
  if (!path) return;
  try {
    await reviewApi.exportSession(d.take.session_id, path);
    flash(t("review.exported", { path }));
  } catch (e) {
    st.showError(errorText(e));
  }
}


/** A modal with a progress bar while a long export or import runs (keys are ignored). */
function busy(titleKey: Key | null): void {
  st.busy = titleKey !== null;
  $("busy").hidden = titleKey === null;
  if (titleKey) {
    $("busy-title").textContent = t(titleKey);
    $("busy-bar").style.width = "0%";
    $("busy-text").textContent = "";
  }
}

function showArchiveProgress(done: number, total: number): void {
  if (!st.busy) return;
  const pct = total > 0 ? Math.floor((done / total) * 100) : 0;
  $("busy-bar").style.width = `${pct}%`;
  const mb = (n: number) => (n / 1_000_000).toFixed(1);
  $("busy-text").textContent = t("review.busyBytes", { done: mb(done), total: mb(total), pct });
}

async function exportAll(): Promise<void> {
  const path = await saveDialog({ defaultPath: "rehearse-backup.zip", filters: [{ name: "ZIP", extensions: ["zip"] }] });
  if (!path) return;
  busy("review.exporting");
  try {
    const r = await reviewApi.exportAll(path);
    flash(t("review.exportedAll", { takes: r.takes, mb: (r.bytes / 1_000_000).toFixed(1), path }));
  } catch (e) {
    st.showError(errorText(e));
  } finally {
    busy(null);
  }
}

/** Restores an archive made by "Export everything" into this (empty) library. */
async function importAll(): Promise<void> {
  const picked = await openDialog({ multiple: false, filters: [{ name: "ZIP", extensions: ["zip"] }] });
  if (typeof picked !== "string") return;
  await importAllFrom(picked);
}

async function importAllFrom(path: string): Promise<void> {
  busy("review.importing");
  try {
    const r = await reviewApi.importAll(path);
    flash(t("review.imported", { takes: r.takes, path }));
    st.onClose(); // the main screen's takes and due list changed too
    if (st.open) await runQuery();
  } catch (e) {
    st.showError(errorText(e));
  } finally {
    busy(null);
  }
}

/** The chart opens on what the selected take belongs to: its principle, else its deck. */
function progressScopeFor(): string | null {
  const row = st.rows[st.selected];
  if (!row) return null;
  const principle = row.category === "behavioural" ? row.tags.find((x) => x !== "seed") : undefined;
  return principle ? `principle:${principle}` : `deck:${row.deck_id}`;
}

// ---------- keys ----------

function typing(): boolean {
  return typingIn(document.activeElement);
}

/** Handles a key while the review screen is open; returns true when it did. */
function reviewKey(e: KeyboardEvent): boolean {
  if (!st.open) return false;
  if (speechSettingsOpen()) {
    speechSettingsKey(e);
    return true;
  }
  if (progressOpen()) {
    if (e.key === "Escape" || (e.key === "g" && !typing())) {
      closeProgress();
      e.preventDefault();
    } else progressKey(e);
    return true;
  }
  if (st.blind) {
    if (e.key === "Escape") closeBlind();
    else if (/^[1-4]$/.test(e.key)) void blindRate(Number(e.key));
    else if (e.key === " ") void togglePlay(st.blind.review.take.id);
    else if (e.key === "Enter" && st.blind.rated) void openBlind();
    e.preventDefault();
    return true;
  }
  if (st.compare) {
    const c = st.compare;
    if (e.key === "Escape") closeCompare();
    else if (e.key === "a") void togglePlay(c.left.take.id);
    else if (e.key === "b") void togglePlay(c.right.take.id);
    else if (e.key === "Tab") void cycleCompare();
    e.preventDefault();
    return true;
  }
  if (!$("bm-form").hidden) {
    if (e.key === "Escape") closeBookmarkForm();
    else if (e.key === "Enter") void addBookmark();
    return true;
  }
  if (typing()) {
    if (e.key === "Escape") {
      (document.activeElement as HTMLElement).blur();
      e.preventDefault();
    }
    return true;
  }
  const onBox = (document.activeElement as HTMLInputElement | null)?.type === "checkbox";
  const d = st.detail;
  switch (e.key) {
    case "Escape":
      if (onBox) (document.activeElement as HTMLElement).blur();
      else closeReview();
      break;
    case "ArrowDown":
    case "j":
      if (onBox) return true; // arrows walk the checkboxes (below)
      move(1);
      break;
    case "ArrowUp":
    case "k":
      if (onBox) return true;
      move(-1);
      break;
    case "ArrowLeft":
    case "ArrowRight":
      if ((document.activeElement as HTMLElement | null)?.classList.contains("tr-word")) {
        focusWord(e.key === "ArrowLeft" ? -1 : 1);
        break;
      }
      if (d) void seekTo((st.player?.takeId === d.take.id ? st.player.positionMs : 0) + (e.key === "ArrowLeft" ? -5000 : 5000), true);
      break;
    case " ":
      if (onBox) return true; // Space ticks the focused checkbox
      if (d) void togglePlay(d.take.id);
      break;
    case "[":
      void setSpeed(-1);
      break;
    case "]":
      void setSpeed(1);
      break;
    case "s":
      void setSkip(!st.skip);
      break;
    case "1":
    case "2":
    case "3":
    case "4":
      void rate(Number(e.key));
      break;
    case "p":
      document.querySelector<HTMLInputElement>("#d-keypoints .kp-box, #d-rubric input")?.focus();
      break;
    case "n":
      $("d-notes").focus();
      break;
    case "b":
      openBookmarkForm();
      break;
    case "c":
      void openCompare();
      break;
    case "x":
      void openBlind();
      break;
    case "g":
      void openProgress(progressScopeFor());
      break;
    case "e":
      void exportTake();
      break;
    case "/":
      $("f-search").focus();
      break;
    case "w":
      $("f-said").focus();
      break;
    case "o":
      void openSpeechSettings();
      break;
    case "h":
      if (d) void confirmHeard(unconfirmedHeard(d.take.id, d.take.rubric.key_points ?? []));
      break;
    case "t":
      if (!focusWord(0)) $("d-transcript").scrollIntoView({ block: "nearest" });
      break;
    case "T":
      if (d && !$("d-transcribe-again").hidden) void transcribeAgain(d.take.id);
      break;
    default:
      // A story's take: A picks a part boundary, , and . move it, U resets it.
      if (storyPartsKey(e.key)) break;
      return true;
  }
  e.preventDefault();
  return true;
}

/** Makes the take's transcript again in the background (it shows as pending until then). */
async function transcribeAgain(takeId: number): Promise<void> {
  try {
    await transcriptApi.again(takeId);
  } catch (e) {
    st.showError(errorText(e));
    return;
  }
  if (st.detail?.take.id === takeId) void loadTranscript(takeId);
}

/** Arrow keys move between the rubric's checkboxes like a list. */
function rubricArrows(e: KeyboardEvent): void {
  if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
  const boxes = [...document.querySelectorAll<HTMLInputElement>("#d-rubric input[type=checkbox]")].filter((b) => b.offsetParent !== null);
  const i = boxes.indexOf(document.activeElement as HTMLInputElement);
  if (i < 0) return;
  boxes[Math.max(0, Math.min(boxes.length - 1, i + (e.key === "ArrowDown" ? 1 : -1)))].focus();
  e.preventDefault();
}

// ---------- wiring ----------

async function initReview(onClose: () => void, showError: (m: string) => void): Promise<void> {
  st.onClose = onClose;
  st.showError = showError;
  for (const id of ["f-deck", "f-category", "f-tag", "f-rating", "f-status", "f-sort", "f-from", "f-to", "f-best", "f-asc"]) {
    $(id).addEventListener("change", () => void runQuery());
  }
  for (const id of ["f-from", "f-to"]) $(id).addEventListener("change", () => checkDayField(id));
  for (const id of ["f-search", "f-said"]) {
    $(id).addEventListener("input", () => {
      window.clearTimeout(st.searchTimer);
      st.searchTimer = window.setTimeout(() => void runQuery(), 150);
    });
  }
  $("lib-more").addEventListener("click", () => void runQuery(true));
  $("review-close").addEventListener("click", closeReview);
  $("review-progress").addEventListener("click", () => void openProgress(progressScopeFor()));
  $("review-blind").addEventListener("click", () => void openBlind());
  $("review-speech").addEventListener("click", () => void openSpeechSettings());
  $("d-transcribe-again").addEventListener("click", () => {
    if (st.detail) void transcribeAgain(st.detail.take.id);
  });
  initSpeechSettings(() => {
    flash(t("review.saved"));
    if (st.detail) void loadTranscript(st.detail.take.id);
  });
  $("review-export-all").addEventListener("click", () => void exportAll());
  $("review-import-all").addEventListener("click", () => void importAll());
  await events.onArchive((p) => showArchiveProgress(p.done, p.total));
  await transcriptApi.onEvent(showTranscriptionStatus);
  showTranscriptionStatus(await transcriptApi.status().catch(() => null));
  $("d-play").addEventListener("click", () => st.detail && void togglePlay(st.detail.take.id));
  $("d-speed").addEventListener("change", () => {
    st.speed = Number($<HTMLSelectElement>("d-speed").value);
    void setSpeed(0);
  });
  $("d-skip").addEventListener("change", () => void setSkip($<HTMLInputElement>("d-skip").checked));
  st.skip = (await api.appStatus().catch(() => null))?.skip_silences ?? false;
  $<HTMLInputElement>("d-skip").checked = st.skip;
  $("d-bookmark").addEventListener("click", openBookmarkForm);
  $("bm-save").addEventListener("click", () => void addBookmark());
  $("d-compare").addEventListener("click", () => void openCompare());
  $("d-export").addEventListener("click", () => void exportTake());
  $("d-export-session").addEventListener("click", () => void exportSession());
  $("d-notes").addEventListener("blur", () => void saveNote());
  $("d-notes").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && e.ctrlKey) $("d-notes").blur();
  });
  document.querySelectorAll<HTMLButtonElement>("#d-rating .rate-btn").forEach((b) => b.addEventListener("click", () => void rate(Number(b.dataset.rating))));
  for (const k of ["situation", "task", "action", "result", "i_not_we", "number", "principle"]) {
    $(`r-${k}`).addEventListener("change", () => void saveRubric());
  }
  $("d-rubric").addEventListener("keydown", rubricArrows);
  $("cmp-close").addEventListener("click", closeCompare);
  $("cmp-a-play").addEventListener("click", () => st.compare && void togglePlay(st.compare.left.take.id));
  $("cmp-b-play").addEventListener("click", () => st.compare && void togglePlay(st.compare.right.take.id));
  $("cmp-next").addEventListener("click", () => void cycleCompare());
  $("blind-close").addEventListener("click", closeBlind);
  document.querySelectorAll<HTMLButtonElement>("#blind .rate-btn").forEach((b) => b.addEventListener("click", () => void blindRate(Number(b.dataset.rating))));
  await initProgress(showError);
  await events.onPlayback(({ take_id, event }) => {
    if (event.type === "failed") {
      showError(localMessage(event.kind, event.message));
      return;
    }
    onPlaybackEvent(take_id, event.type, event.position_ms);
  });
}

defineView({
  name: "review",
  isOpen: () => st.open,
  key: reviewKey,
  init: (app) => initReview(app.changed, app.showError),
  open: openReview,
});

// An export or import of everything runs: its modal with the progress bar takes every key,
// so nothing may start meanwhile. A Rehearse archive dropped on the window is imported (as
// "Import everything…" does), from any screen.
defineView({
  name: "archive",
  isOpen: () => st.busy,
  key(e) {
    e.preventDefault();
    return true;
  },
  async init(app) {
    await getCurrentWebview().onDragDropEvent((e) => {
      if (e.payload.type !== "drop") return;
      const zip = e.payload.paths.find((p) => p.toLowerCase().endsWith(".zip"));
      if (zip) void importAllFrom(zip);
      else if (e.payload.paths.length) app.showError(t("review.dropNotArchive", { name: e.payload.paths[0] }));
    });
  },
});
