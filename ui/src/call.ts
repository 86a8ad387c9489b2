// The video-call rehearsal: pre-flight (template, language, mic, voices, disk), the call
// screen (two interviewer tiles, caption, clocks, own tile with level meter and camera),
// and the report. Rust (rehearse-engine) owns the clock, the voices and the recording;
// this page renders its events and interpolates the clocks between them.
// Length: the call's three screens (pre-flight, call, report) share one state (the template,
// the clocks, the report's rows) and one event handler.
import { open as openDialog, save as saveDialog } from "@tauri-apps/plugin-dialog";
import { api, callApi, errorText, events, reviewApi, type CallEvent, type CallReport, type RehearsalDetail, type TemplateSummary } from "./api";
import { clock, seconds, SILENT_DBFS } from "./format";
import { lang, t, tIn } from "./i18n";
import {
  callStoryAnswer,
  callStoryEnd,
  callStoryKey,
  callStoryPause,
  callStoryPrompt,
  callStoryResume,
  callStoryStart,
} from "./callStory";
import { showLevel } from "./meter";
import { onMicResult, openMicPanel } from "./miccheck";
import { $, typingIn } from "./dom";
import { defineView } from "./views";

type Screen = "closed" | "preflight" | "call" | "report";

interface ReportRow {
  takeId: number;
  label: string;
  probe: boolean;
}

const st = {
  screen: "closed" as Screen,
  /** The report row's take playing now (its button reads ■ Stop). */
  playing: null as number | null,
  templates: [] as TemplateSummary[],
  selected: 0,
  sessionId: 0,
  // Session clock: seconds of recording at the last level event, and when it came.
  sessionSecs: 0,
  sessionAt: 0,
  recording: false,
  // Pausing: allowed in this call (its Started event says so), and paused now.
  allowPause: false,
  paused: false,
  segmentEnd: null as number | null,
  answerEnd: null as number | null,
  /** The answer ended (Space or its limit) and the segment runs out its time: say so. */
  betweenParts: false,
  /** Segments started so far and in the plan (the last one's wait ends the call). */
  segmentsSeen: 0,
  segmentsTotal: 0,
  endArmed: 0,
  /** What this pre-flight really checked: null not yet, else passed and the line to show. */
  micChecked: null as null | { ok: boolean; text: string },
  voicesChecked: null as null | { ok: boolean; text: string },
  camera: null as MediaStream | null,
  rows: [] as ReportRow[],
  reportSel: 0,
  showError: (_: string) => undefined as void,
  onClose: () => undefined as void,
};

export function callScreen(): Screen {
  return st.screen;
}

function show(screen: Screen): void {
  st.screen = screen;
  $("call-view").hidden = screen === "closed";
  $("call-preflight").hidden = screen !== "preflight";
  $("call-screen").hidden = screen !== "call";
  $("call-report").hidden = screen !== "report";
  if (screen === "closed") delete document.body.dataset.screen;
  else document.body.dataset.screen = `call-${screen}`;
}

// ---------- pre-flight ----------

async function openCall(): Promise<void> {
  try {
    st.templates = await callApi.templates();
  } catch (e) {
    st.showError(errorText(e));
    return;
  }
  $<HTMLSelectElement>("call-language").value = lang();
  st.micChecked = null;
  st.voicesChecked = null;
  show("preflight");
  renderTemplates();
  await preflight();
}

function templateName(x: TemplateSummary): string {
  return x.name[lang()] ?? x.name.en ?? x.id;
}

function renderTemplates(): void {
  const ul = $("tpl-list");
  ul.replaceChildren();
  st.templates.forEach((x, i) => {
    const li = document.createElement("li");
    li.className = "deck-item";
    li.dataset.template = x.id;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", String(i === st.selected));
    const name = document.createElement("strong");
    name.textContent = templateName(x);
    const meta = document.createElement("span");
    meta.className = "muted";
    meta.textContent = ` · ${t("call.segments", { count: x.segments })} · ${clock(x.length_secs * 1000)}`;
    li.append(name, meta);
    li.addEventListener("click", () => {
      st.selected = i;
      renderTemplates();
      void preflight();
    });
    ul.append(li);
  });
}

function check(ok: boolean | "unchecked", text: string): HTMLLIElement {
  const li = document.createElement("li");
  li.dataset.ok = String(ok);
  li.textContent = text;
  return li;
}

async function preflight(): Promise<void> {
  const tpl = st.templates[st.selected];
  if (!tpl) return;
  const language = $<HTMLSelectElement>("call-language").value;
  const list = $("preflight-checks");
  try {
    const p = await callApi.preflight(tpl.id, language);
    const questions = p.plan.segments.reduce((n, s) => n + s.questions.length, 0);
    $("tpl-outline").textContent = p.plan.segments.map((s) => `${s.name} ${clock(s.length_secs * 1000)}`).join(" → ") + ` · ${t("call.questions", { count: questions })}`;
    const gb = (b: number) => `${(b / 1e9).toFixed(2)} GB`;
    list.replaceChildren(
      // ✓ only for what was really tried here: voices heard (V), the microphone heard (M).
      p.voice_problem !== null
        ? check(false, t("call.voicesMissing", { why: p.voice_problem }))
        : st.voicesChecked
          ? check(st.voicesChecked.ok, st.voicesChecked.text)
          : check("unchecked", t("firstHour.voicesUnchecked")),
      check(p.free_bytes === null || p.free_bytes > p.needed_bytes * 2, p.free_bytes === null ? t("call.diskUnknown") : t("call.disk", { free: gb(p.free_bytes), need: gb(p.needed_bytes) })),
      p.missing_input !== null
        ? check(false, t("warn.deviceGone", { name: p.missing_input }))
        : st.micChecked
          ? check(st.micChecked.ok, st.micChecked.text)
          : check("unchecked", t("firstHour.micUnchecked")),
    );
    $<HTMLInputElement>("call-allow-pause").checked = p.allow_pause;
  } catch (e) {
    list.replaceChildren(check(false, errorText(e)));
  }
}

/** Remembers whether calls may be paused (the checkbox shows what is stored). */
async function setAllowPause(on: boolean): Promise<void> {
  const box = $<HTMLInputElement>("call-allow-pause");
  try {
    await api.setSetting("call_allow_pause", on ? "true" : "false");
    box.checked = on;
  } catch (e) {
    box.checked = !on;
    $("pf-status").textContent = errorText(e);
  }
}

async function testVoices(): Promise<void> {
  $("pf-status").textContent = t("call.testingVoices");
  try {
    await callApi.testVoices($<HTMLSelectElement>("call-language").value);
    $("pf-status").textContent = t("call.voicesHeard");
    st.voicesChecked = { ok: true, text: t("firstHour.voicesPlayed") };
  } catch (e) {
    $("pf-status").textContent = errorText(e);
    st.voicesChecked = { ok: false, text: t("firstHour.voicesFailed", { why: errorText(e) }) };
  }
  void preflight();
}

async function importTemplate(): Promise<void> {
  const path = await openDialog({ multiple: false, filters: [{ name: "TOML", extensions: ["toml"] }] });
  if (typeof path !== "string") return;
  try {
    const r = await callApi.importTemplate(path);
    st.templates = await callApi.templates();
    st.selected = Math.max(0, st.templates.findIndex((x) => x.id === r.template_id));
    renderTemplates();
    await preflight();
    $("pf-status").textContent = t("call.imported", { id: r.template_id });
  } catch (e) {
    $("pf-status").textContent = errorText(e);
  }
}

async function exportTemplate(): Promise<void> {
  const tpl = st.templates[st.selected];
  if (!tpl) return;
  const path = await saveDialog({ defaultPath: `${tpl.id}.toml`, filters: [{ name: "TOML", extensions: ["toml"] }] });
  if (!path) return;
  try {
    await callApi.exportTemplate(tpl.id, path);
    $("pf-status").textContent = t("review.exported", { path });
  } catch (e) {
    $("pf-status").textContent = errorText(e);
  }
}

// ---------- the template editor ----------

async function openEditor(): Promise<void> {
  const tpl = st.templates[st.selected];
  if (!tpl) return;
  try {
    $<HTMLTextAreaElement>("tpl-text").value = await callApi.templateText(tpl.id);
  } catch (e) {
    $("pf-status").textContent = errorText(e);
    return;
  }
  $("tpl-editor-hint").textContent = tpl.builtin ? t("call.editBuiltin") : t("call.editHint");
  $("tpl-editor-error").textContent = "";
  $("tpl-editor").hidden = false;
  $("tpl-text").focus();
}

function closeEditor(): void {
  $("tpl-editor").hidden = true;
}

async function saveEditor(): Promise<void> {
  try {
    const r = await callApi.saveTemplateText($<HTMLTextAreaElement>("tpl-text").value);
    st.templates = await callApi.templates();
    st.selected = Math.max(0, st.templates.findIndex((x) => x.id === r.template_id));
    closeEditor();
    renderTemplates();
    await preflight();
    $("pf-status").textContent = t("call.saved", { id: r.template_id });
  } catch (e) {
    // Nothing was changed; the message names the line or field.
    $("tpl-editor-error").textContent = errorText(e);
  }
}

// ---------- the call ----------

async function startCall(): Promise<void> {
  const tpl = st.templates[st.selected];
  if (!tpl) return;
  // The call screen is up before the engine answers: its first events (the recording
  // started, the first question) can arrive before the command returns.
  Object.assign(st, { sessionSecs: 0, sessionAt: performance.now(), recording: false, allowPause: false, paused: false, segmentEnd: null, answerEnd: null, endArmed: 0 });
  Object.assign(st, { betweenParts: false, segmentsSeen: 0, segmentsTotal: tpl.segments });
  $("call-silent").hidden = true;
  $("caption").dataset.between = "false";
  showPaused(false);
  $("call-pause").hidden = true;
  $("caption").textContent = t("call.connecting");
  $("caption-who").textContent = "";
  $("call-segment").textContent = "";
  $("call-rec").dataset.state = "idle";
  $("call-rec-label").textContent = t("recorder.starting");
  $("call-hint").textContent = t("call.hint");
  setSpeaking(null);
  show("call");
  requestAnimationFrame(tick);
  try {
    st.sessionId = await callApi.start(tpl.id, $<HTMLSelectElement>("call-language").value);
  } catch (e) {
    show("preflight");
    $("pf-status").textContent = errorText(e);
    return;
  }
  void startCamera();
}

async function startCamera(): Promise<void> {
  const video = $<HTMLVideoElement>("self-view");
  const why = $("self-view-why");
  video.hidden = true;
  const md = navigator.mediaDevices;
  if (!md?.getUserMedia) {
    why.textContent = t("call.noCameraApi");
    return;
  }
  try {
    const devices = await md.enumerateDevices();
    if (!devices.some((x) => x.kind === "videoinput")) {
      why.textContent = t("call.noCamera");
      return;
    }
    st.camera = await md.getUserMedia({ video: true, audio: false });
    video.srcObject = st.camera;
    video.hidden = false;
    why.textContent = "";
  } catch (e) {
    const name = e instanceof DOMException ? e.name : "";
    why.textContent = name === "NotFoundError" ? t("call.noCamera") : name === "NotAllowedError" ? t("call.cameraDenied") : t("call.cameraFailed", { why: errorText(e) });
  }
}

function stopCamera(): void {
  st.camera?.getTracks().forEach((tr) => tr.stop());
  st.camera = null;
}

function setSpeaking(who: "A" | "B" | null): void {
  $("tile-a").dataset.speaking = String(who === "A");
  $("tile-b").dataset.speaking = String(who === "B");
}

/** The paused look: overlay, frozen clocks, dimmed tiles and meter, an amber badge. */
function showPaused(on: boolean): void {
  $("call-screen").dataset.paused = String(on);
  $("call-paused").hidden = !on;
  const b = $("call-pause");
  b.setAttribute("aria-pressed", String(on));
  $("call-pause-label").textContent = on ? t("call.resume") : t("call.pause");
  $<HTMLButtonElement>("call-next").disabled = on;
  if (st.recording || on) {
    $("call-rec").dataset.state = on ? "paused" : "recording";
    $("call-rec-label").textContent = on ? t("call.paused") : t("recorder.recording");
  }
}

/** P: pause or resume, when this call allows it; otherwise nothing. */
function togglePause(): void {
  if (!st.allowPause || st.screen !== "call") return;
  void callApi.command(st.paused ? "resume" : "pause").catch((e) => st.showError(errorText(e)));
}

function sessionNow(): number {
  return st.recording ? st.sessionSecs + (performance.now() - st.sessionAt) / 1000 : st.sessionSecs;
}

function tick(): void {
  if (st.screen !== "call") return;
  const now = sessionNow();
  $("call-clock").textContent = clock(now * 1000);
  $("call-segment-left").textContent = st.segmentEnd === null ? "" : clock(Math.max(0, st.segmentEnd - now) * 1000 + 999);
  const left = st.answerEnd === null ? null : Math.max(0, st.answerEnd - now);
  const al = $("answer-left");
  al.textContent = left === null ? "" : clock(left * 1000 + 999);
  $("answer-left-label").hidden = left === null;
  al.dataset.level = left === null ? "" : left <= 10 ? "red" : left <= 30 ? "amber" : "";
  if (st.betweenParts && st.segmentEnd !== null) {
    const time = clock(Math.max(0, st.segmentEnd - now) * 1000 + 999);
    const last = st.segmentsTotal > 0 && st.segmentsSeen >= st.segmentsTotal;
    $("caption").textContent = t(last ? "firstHour.answerEndedLast" : "firstHour.answerEnded", { time });
  }
  requestAnimationFrame(tick);
}

function onEvent(e: CallEvent): void {
  if (st.screen !== "call") return;
  switch (e.type) {
    case "voice_unavailable":
      st.showError(t("call.voicesMissing", { why: e.reason }));
      break;
    case "started":
      callStoryStart(e.session_id, st.showError);
      st.recording = true;
      st.sessionSecs = 0;
      st.sessionAt = performance.now();
      st.allowPause = e.allow_pause;
      $("call-pause").hidden = !e.allow_pause;
      $("call-hint").textContent = e.allow_pause ? t("call.hintPause") : t("call.hint");
      $("call-rec").dataset.state = "recording";
      $("call-rec-label").textContent = t("recorder.recording");
      break;
    case "paused":
      // The recording's clock stopped at this offset: freeze every clock there.
      st.paused = true;
      st.recording = false;
      st.sessionSecs = e.seconds ?? 0;
      showPaused(true);
      callStoryPause();
      break;
    case "resumed":
      st.paused = false;
      st.recording = true;
      st.sessionSecs = e.seconds ?? 0;
      st.sessionAt = performance.now();
      showPaused(false);
      callStoryResume();
      break;
    case "level":
      // Sound again (above the capture's silence floor of -60 dBFS): the warning goes.
      if ((e.peak_dbfs ?? SILENT_DBFS) > -60) $("call-silent").hidden = true;
      st.sessionSecs = e.seconds ?? 0;
      st.sessionAt = performance.now();
      showLevel("call-meter", e.peak_dbfs ?? SILENT_DBFS, e.rms_dbfs ?? SILENT_DBFS);
      break;
    case "marker":
      if (e.kind === "segment_start") {
        $("call-segment").textContent = e.label;
        st.answerEnd = null;
        st.segmentsSeen += 1;
        st.betweenParts = false;
      } else if (e.kind === "question_end" || e.kind === "probe_end") {
        // No live-looking countdown after the answer: the wait for the next part is told.
        st.answerEnd = null;
        st.betweenParts = true;
        $("caption-who").textContent = "";
        $("caption").dataset.between = "true";
        setSpeaking(null);
      }
      break;
    case "deadline":
      if (e.what === "segment") st.segmentEnd = e.seconds;
      else {
        st.answerEnd = e.seconds;
        setSpeaking(null); // the interviewer has finished asking
        callStoryAnswer();
      }
      break;
    case "prompt":
      st.answerEnd = null;
      st.betweenParts = false;
      $("caption").dataset.between = "false";
      $("caption-who").textContent = e.speaker === "A" ? t("call.interviewerA") : t("call.interviewerB");
      $("caption").textContent = e.text;
      $("caption").dataset.probe = String(e.probe);
      setSpeaking(e.speaker);
      void callStoryPrompt(e.question_id, e.probe);
      break;
    case "warning":
      // English keeps the engine's line (it names the detail); other languages their sentence.
      st.showError(lang() === "en" ? e.message : tIn("callWarn", e.what));
      break;
    case "silent":
      // On the call screen itself, in the UI language; gone when sound comes or the call ends.
      $("call-silent-text").textContent = t("warn.silent", { seconds: Math.round(e.seconds ?? 0) });
      $("call-silent").hidden = false;
      break;
    case "finished":
      callStoryEnd();
      $("call-silent").hidden = true;
      st.recording = false;
      st.paused = false;
      showPaused(false);
      $("call-rec").dataset.state = "idle";
      $("call-rec-label").textContent = t("recorder.idle");
      stopCamera();
      void openReport(e.summary.session_id, e.summary.status);
      break;
    default:
      break;
  }
}

function endCall(): void {
  // Ending needs a second Esc within 3 s (paused or not).
  const now = performance.now();
  if (now - st.endArmed < 3000) {
    void callApi.command("end").catch((e) => st.showError(errorText(e)));
    st.endArmed = 0;
    return;
  }
  st.endArmed = now;
  $("call-hint").textContent = t("call.endConfirm");
}

// ---------- the report ----------

async function openReport(sessionId: number, status: string): Promise<void> {
  let d: RehearsalDetail;
  let report: CallReport;
  try {
    [d, report] = await Promise.all([callApi.detail(sessionId), callApi.report(sessionId)]);
  } catch (e) {
    st.showError(errorText(e));
    show("closed");
    return;
  }
  show("report");
  $("report-line").textContent = t("call.reportLine", {
    status: tIn("call.status", status, { defaultValue: status }),
    length: clock(((d.session.frames ?? 0) / Math.max(1, d.session.sample_rate)) * 1000),
    takes: d.takes.length,
  });
  const body = $("report-body");
  body.replaceChildren();
  st.rows = [];
  const takes = new Map(d.takes.map((x) => [x.id, x]));
  // Time used and limits as core counts them (the same numbers as the exported report).
  const answers = new Map(report.segments.flatMap((s) => s.answers).map((a) => [a.start, a]));
  for (const m of d.markers) {
    if (m.kind === "segment_start") {
      const h = document.createElement("h2");
      h.className = "report-seg";
      h.textContent = `${m.label} · ${clock((m.sample_offset / d.session.sample_rate) * 1000)}`;
      body.append(h);
      continue;
    }
    if (m.kind !== "question_start" && m.kind !== "probe_start") continue;
    const answer = answers.get(m.sample_offset);
    const limit = answer?.limit_secs ?? null;
    const take = m.take_id === null ? undefined : takes.get(m.take_id);
    const row = document.createElement("div");
    row.className = "report-row";
    row.dataset.probe = String(m.kind === "probe_start");
    const left = document.createElement("div");
    const q = document.createElement("p");
    q.className = "report-q";
    q.textContent = `${m.kind === "probe_start" ? "↳ " : ""}${m.label}`;
    const info = document.createElement("p");
    info.className = "muted report-info";
    left.append(q, info);
    const right = document.createElement("div");
    right.className = "report-actions";
    row.append(left, right);
    body.append(row);
    if (!take) {
      info.textContent = t("call.noTake");
      continue;
    }
    const index = st.rows.length;
    st.rows.push({ takeId: take.id, label: m.label, probe: m.kind === "probe_start" });
    row.dataset.takeId = String(take.id);
    row.dataset.index = String(index);
    // Time used answering: from when the answer clock started to the end marker (the take
    // itself also holds the interviewer asking).
    const used = answer?.used_ms ?? take.duration_ms;
    const over = answer?.over_limit ?? false;
    // Where in the call the answer was (a position, not a length).
    const at = t("call.atTime", { time: clock((m.sample_offset / d.session.sample_rate) * 1000) });
    info.textContent = limit === null ? `${at} · ${seconds(used)}` : `${at} · ${t("call.used", { used: seconds(used), limit: seconds(limit * 1000) })}`;
    if (over) info.classList.add("over");
    const mm = answer?.take?.metrics;
    // Time to first word from the answer clock, as core counts it (not from the question).
    if (mm) {
      info.textContent +=
        " · " +
        (answer?.first_word_ms == null
          ? t("takes.noSpeech")
          : t("takes.metrics", { first: seconds(answer.first_word_ms), speaking: seconds(mm.speaking_ms), pauses: mm.long_pauses.length }));
    }
    const play = document.createElement("button");
    play.className = "report-play";
    play.dataset.takeId = String(take.id);
    play.addEventListener("click", (e) => {
      e.stopPropagation();
      togglePlay(take.id);
    });
    const rating = document.createElement("div");
    rating.className = "rating";
    for (let r = 1; r <= 4; r++) {
      const b = document.createElement("button");
      b.className = "rate-btn";
      b.dataset.rating = String(r);
      b.setAttribute("aria-pressed", String(take.rating === r));
      b.textContent = `${r} ${tIn("rating", ["again", "hard", "good", "easy"][r - 1])}`;
      b.addEventListener("click", () => void rateRow(index, r));
      rating.append(b);
    }
    right.append(play, rating);
    row.addEventListener("click", () => selectRow(index));
  }
  renderPlaying();
  selectRow(0);
}

/** ▶ plays a report row's take, ■ (on the row playing) stops it; Space does the same. */
function togglePlay(takeId: number): void {
  if (st.playing === takeId) {
    st.playing = null;
    void api.stopPlayback().catch(() => undefined);
    renderPlaying();
    return;
  }
  reviewApi
    .play(takeId, 0, 1)
    .then(() => {
      st.playing = takeId;
      renderPlaying();
    })
    .catch((e) => st.showError(errorText(e)));
}

function renderPlaying(): void {
  document.querySelectorAll<HTMLButtonElement>("#report-body .report-play").forEach((b) => {
    const on = st.playing !== null && b.dataset.takeId === String(st.playing);
    b.textContent = on ? `■ ${t("takes.stopPlay")}` : `▶ ${t("takes.play")}`;
    b.setAttribute("aria-pressed", String(on));
  });
}

function selectRow(i: number): void {
  if (!st.rows.length) return;
  st.reportSel = Math.max(0, Math.min(st.rows.length - 1, i));
  document.querySelectorAll<HTMLElement>("#report-body .report-row[data-index]").forEach((el) => {
    el.setAttribute("aria-selected", String(Number(el.dataset.index) === st.reportSel));
  });
  document.querySelector("#report-body .report-row[aria-selected='true']")?.scrollIntoView({ block: "nearest" });
}

async function rateRow(i: number, r: number): Promise<void> {
  const row = st.rows[i];
  if (!row) return;
  try {
    await api.rateTake(row.takeId, r);
    document.querySelectorAll<HTMLButtonElement>(`#report-body .report-row[data-index='${i}'] .rate-btn`).forEach((b) => {
      b.setAttribute("aria-pressed", String(Number(b.dataset.rating) === r));
    });
  } catch (e) {
    st.showError(errorText(e));
  }
}

async function exportReport(): Promise<void> {
  const path = await saveDialog({ defaultPath: `rehearse-call-${st.sessionId}.zip`, filters: [{ name: "ZIP", extensions: ["zip"] }] });
  if (!path) return;
  try {
    await reviewApi.exportSession(st.sessionId, path);
    $("report-line").textContent = t("review.exported", { path });
  } catch (e) {
    st.showError(errorText(e));
  }
}

function close(): void {
  stopCamera();
  st.playing = null;
  void api.stopPlayback().catch(() => undefined);
  show("closed");
  st.onClose();
}

// ---------- keys ----------

/** Handles a key while a call screen is open; returns true when it did. */
function callKey(e: KeyboardEvent): boolean {
  if (st.screen === "closed") return false;
  const inField = typingIn(document.activeElement);
  if (st.screen === "preflight" && !$("tpl-editor").hidden) {
    if (e.key === "Escape") {
      closeEditor();
      e.preventDefault();
    }
    return true; // the editor takes every other key (Ctrl+Enter is its own listener's)
  }
  if (st.screen === "preflight") {
    if (e.key === "Escape") close();
    else if (inField) return true;
    else if (e.key === "Enter") void startCall();
    else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      st.selected = Math.max(0, Math.min(st.templates.length - 1, st.selected + (e.key === "ArrowDown" ? 1 : -1)));
      renderTemplates();
      void preflight();
    } else if (e.key === "m") void openMicPanel();
    else if (e.key === "v") void testVoices();
    else if (e.key === "t") void openEditor();
    else if (e.key === "p" || e.key === "P") void setAllowPause(!$<HTMLInputElement>("call-allow-pause").checked);
    else return true;
    e.preventDefault();
    return true;
  }
  if (st.screen === "call") {
    // A story picked in the first seconds of a behavioural answer (nothing stops for it).
    if (callStoryKey(e.key)) {
      e.preventDefault();
      return true;
    }
    if (e.key === " ") {
      // Paused: nothing moves on until it resumes.
      if (!st.paused) void callApi.command("next").catch((err) => st.showError(errorText(err)));
      $("call-hint").textContent = st.allowPause ? t("call.hintPause") : t("call.hint");
      st.endArmed = 0;
    } else if (e.key === "p" || e.key === "P") togglePause();
    else if (e.key === "Escape") endCall();
    e.preventDefault();
    return true;
  }
  // report
  if (e.key === "Escape" || e.key === "Enter") close();
  else if (e.key === "ArrowDown" || e.key === "j") selectRow(st.reportSel + 1);
  else if (e.key === "ArrowUp" || e.key === "k") selectRow(st.reportSel - 1);
  else if (/^[1-4]$/.test(e.key)) void rateRow(st.reportSel, Number(e.key));
  else if (e.key === " ") {
    const row = st.rows[st.reportSel];
    if (row) togglePlay(row.takeId);
  } else if (e.key === "e") void exportReport();
  else return true;
  e.preventDefault();
  return true;
}

async function initCall(onClose: () => void, showError: (m: string) => void): Promise<void> {
  st.onClose = onClose;
  st.showError = showError;
  await events.onPlayback(({ take_id, event }) => {
    if (take_id === st.playing && (event.type === "finished" || event.type === "failed")) {
      st.playing = null;
      renderPlaying();
    }
  });
  // The microphone line turns ✓ only once the 3 s test (M) heard something.
  onMicResult((heard, message) => {
    if (st.screen !== "preflight") return;
    st.micChecked = { ok: heard, text: heard ? t("firstHour.micHeard") : t("firstHour.micFailed", { why: message }) };
    void preflight();
  });
  $("call-cancel").addEventListener("click", close);
  $("call-start").addEventListener("click", () => void startCall());
  $("call-language").addEventListener("change", () => void preflight());
  $("pf-mic").addEventListener("click", () => void openMicPanel());
  $("pf-voices").addEventListener("click", () => void testVoices());
  $("tpl-import").addEventListener("click", () => void importTemplate());
  $("tpl-export").addEventListener("click", () => void exportTemplate());
  $("tpl-edit").addEventListener("click", () => void openEditor());
  $("tpl-save").addEventListener("click", () => void saveEditor());
  $("tpl-cancel").addEventListener("click", closeEditor);
  // Ctrl+Enter saves the template (the window's key router leaves chords alone).
  $("tpl-editor").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void saveEditor();
    }
  });
  $("call-next").addEventListener("click", () => {
    if (!st.paused) void callApi.command("next").catch((e) => showError(errorText(e)));
  });
  $("call-pause").addEventListener("click", togglePause);
  const allow = $<HTMLInputElement>("call-allow-pause");
  allow.addEventListener("change", () => void setAllowPause(allow.checked));
  $("call-end").addEventListener("click", endCall);
  $("report-close").addEventListener("click", close);
  $("report-export").addEventListener("click", () => void exportReport());
  await events.onCall(onEvent);
}

defineView({
  name: "call",
  isOpen: () => st.screen !== "closed",
  key: callKey,
  init: (app) => initCall(app.changed, app.showError),
  open: openCall,
});
