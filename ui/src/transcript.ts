// What the transcript's analyses show (computed in Rust: rehearse-core transcript_analysis):
// pace against its band, fillers, "I" against "we", the key points heard. Used by review
// (figures, highlights in the transcript panel, "heard at 0:42" suggestions beside the
// rubric's key points, confirmed with H, never ticked on their own) and by the practice
// reveal step (the transcript when it is ready; the user can go on without it).
import { transcriptApi, type TakeTranscript, type TranscriptReport } from "./api";
import { clock } from "./format";
import { lang, t, tIn } from "./i18n";
import { $ } from "./dom";


const num = (v: number, digits = 1): string => v.toLocaleString(lang() === "ko" ? "ko-KR" : "en-US", { maximumFractionDigits: digits });

/** "132 wpm (target 120–160: within the target)", in the page's language. */
export function paceText(r: TranscriptReport): string {
  const unit = t(r.pace.unit === "syllables_per_minute" ? "heard.unitSyllables" : "heard.unitWords");
  const band = { min: num(r.pace.band.min ?? 0, 0), max: num(r.pace.band.max ?? 0, 0), unit };
  if (r.pace.per_minute === null || r.pace.verdict === null) return t("heard.paceNone", band);
  return t("heard.pace", { ...band, value: num(r.pace.per_minute, 0), verdict: tIn("heard", r.pace.verdict) });
}

export function fillersText(r: TranscriptReport): string {
  const f = r.fillers;
  if (f.total === 0) return t("heard.fillersNone");
  const forms = Object.entries(f.counts)
    .map(([form, n]) => `“${form}” ×${n}`)
    .join(", ");
  return t("heard.fillers", { total: f.total, perMin: num(f.per_minute ?? 0), per100: num(f.per_100_words ?? 0), forms });
}

export function pronounsText(r: TranscriptReport): string {
  const share = r.pronouns.i_share === null ? "" : t("heard.iShare", { share: num(r.pronouns.i_share * 100, 0) });
  return t("heard.iWe", { i: r.pronouns.i, we: r.pronouns.we, share });
}

export function firstKeyPointText(r: TranscriptReport): string {
  if (!r.key_points.length) return "";
  if (r.first_key_point_ms === null) return t("heard.noKeyPoint");
  return t("heard.firstKeyPoint", {
    at: clock(r.first_key_point_ms),
    words: r.words_before_first_key_point ?? 0,
    share: num((r.share_before_first_key_point ?? 0) * 100, 0),
  });
}

/** The figures as lines: words and pace · fillers · I/we · first key point. */
export function figureLines(r: TranscriptReport): string[] {
  // Korean counts eojeol (a word with its particles); other languages count words.
  const words = t(r.language === "ko" ? "heard.eojeol" : "heard.words", { count: r.words });
  return [`${words} · ${paceText(r)}`, fillersText(r), pronounsText(r), firstKeyPointText(r)].filter((l) => l);
}

function renderFigures(el: HTMLElement, r: TranscriptReport | null): void {
  el.replaceChildren();
  if (!r) return;
  for (const line of figureLines(r)) {
    const li = document.createElement("li");
    li.textContent = line;
    el.append(li);
  }
}

/** Marks fillers and the words where a key point was heard in a rendered transcript body. */
export function markWords(body: HTMLElement, r: TranscriptReport | null): void {
  if (!r) return;
  const heardAt = new Map<number, string>();
  for (const k of r.key_points) for (const ms of k.hits_ms) heardAt.set(ms, k.text);
  body.querySelectorAll<HTMLElement>(".tr-word").forEach((w) => {
    const ms = Number(w.dataset.ms);
    const filler = r.fillers.occurrences.some((f) => ms >= f.start_ms && ms < Math.max(f.end_ms, f.start_ms + 1));
    w.classList.toggle("tr-filler", filler);
    const point = heardAt.get(ms);
    w.classList.toggle("tr-heard", point !== undefined);
    if (filler) w.title = t("heard.fillerMark");
    else if (point !== undefined) w.title = t("heard.keyPointMark", { point });
  });
}

// ---------- review ----------

/** What review knows of the shown take's analyses, for the rubric and the H key. */
let shown: { takeId: number; report: TranscriptReport | null } | null = null;

/** Review: the figures under the transcript, the highlights, the language picker. */
export function decorateReviewTranscript(takeId: number, tr: TakeTranscript, onLanguage: (language: string) => void): void {
  shown = { takeId, report: tr.analysis };
  renderFigures($("d-transcript-figures"), tr.analysis);
  markWords($("d-transcript-body"), tr.analysis);
  const sel = $<HTMLSelectElement>("d-transcript-lang");
  sel.value = tr.language;
  sel.onchange = () => onLanguage(sel.value);
  const iwe = $("r-i-we-count");
  iwe.textContent = tr.analysis ? `(${pronounsText(tr.analysis)})` : "";
}

export function clearReviewTranscript(): void {
  shown = null;
  $("d-transcript-figures").replaceChildren();
  $("r-i-we-count").textContent = "";
}

/** Heard key points of the shown take that the rubric does not tick yet. */
export function unconfirmedHeard(takeId: number, ticked: number[]): number[] {
  if (shown?.takeId !== takeId || !shown.report) return [];
  return shown.report.key_points.filter((k) => k.heard && !ticked.includes(k.index)).map((k) => k.index);
}

/**
 * Beside each rubric key point whose terms were said: "heard at 0:42", and for one not
 * ticked yet a button that ticks it (H ticks every such one). `confirm` stores the rubric.
 */
export function showHeardInRubric(takeId: number, list: HTMLElement, ticked: number[], confirm: (indices: number[]) => void): void {
  list.querySelectorAll(".kp-heard").forEach((e) => e.remove());
  if (shown?.takeId !== takeId || !shown.report) return;
  for (const k of shown.report.key_points) {
    if (!k.heard || k.first_at_ms === null) continue;
    const li = list.querySelector<HTMLElement>(`.kp-box[data-index="${k.index}"]`)?.closest("li");
    if (!li) continue;
    const at = clock(k.first_at_ms);
    if (ticked.includes(k.index)) {
      const s = document.createElement("span");
      s.className = "kp-heard muted";
      s.textContent = t("heard.heardAt", { at });
      li.append(s);
    } else {
      const b = document.createElement("button");
      b.className = "kp-heard kp-suggest";
      b.dataset.index = String(k.index);
      b.textContent = t("heard.suggest", { at });
      b.title = t("heard.suggestTitle", { term: k.term ?? "" });
      b.addEventListener("click", () => confirm([k.index]));
      li.append(b);
    }
  }
}

// ---------- practice (the reveal step) ----------

let revealFor: number | null = null;

/**
 * Practice reveal: shows the take's transcript with its figures and marks the key points
 * heard, as soon as it is ready; until then says it is being transcribed (the user goes on
 * whenever they like: it appears in review).
 */
export async function revealTranscript(takeId: number | null, keyPoints: HTMLElement): Promise<void> {
  revealFor = takeId;
  const box = $("s-transcript");
  box.hidden = takeId === null;
  if (takeId === null) return;
  let tr: TakeTranscript;
  try {
    tr = await transcriptApi.take(takeId);
  } catch {
    box.hidden = true;
    return;
  }
  if (revealFor !== takeId) return;
  const status = $("s-transcript-status");
  const text = $("s-transcript-text");
  const done = tr.transcript?.status === "done" ? tr.transcript : null;
  status.textContent = done ? "" : tr.state.state === "failed" ? t("review.transcriptFailed", { reason: tr.state.reason }) : t("heard.revealWaiting");
  text.lang = done?.transcript.language ?? "";
  text.replaceChildren();
  for (const seg of done?.transcript.segments ?? []) {
    const p = document.createElement("p");
    p.className = "tr-seg";
    const words = seg.words.length ? seg.words : [{ start_ms: seg.start_ms, end_ms: seg.end_ms, text: seg.text.trim() }];
    words.forEach((w, i) => {
      const s = document.createElement("span");
      s.className = "tr-word";
      s.dataset.ms = String(w.start_ms);
      s.textContent = w.text;
      p.append(s);
      if (i < words.length - 1) p.append(" ");
    });
    text.append(p);
  }
  if (done && !done.transcript.segments.length) status.textContent = t("review.transcriptEmpty");
  markWords(text, tr.analysis);
  renderFigures($("s-transcript-figures"), tr.analysis);
  keyPoints.querySelectorAll(".kp-heard").forEach((e) => e.remove());
  for (const k of tr.analysis?.key_points ?? []) {
    const li = keyPoints.children[k.index] as HTMLElement | undefined;
    if (!li || !k.heard || k.first_at_ms === null) continue;
    li.classList.add("heard");
    const s = document.createElement("span");
    s.className = "kp-heard muted";
    s.textContent = ` · ${t("heard.heardAt", { at: clock(k.first_at_ms) })}`;
    li.append(s);
  }
}

/** The worker finished a take: the reveal step shows it if it is the take on screen. */
export async function initReveal(keyPoints: HTMLElement): Promise<void> {
  await transcriptApi.onEvent((e) => {
    if ((e.state === "transcribed" || e.state === "failed") && revealFor === e.take_id) void revealTranscript(e.take_id, keyPoints);
  });
}
