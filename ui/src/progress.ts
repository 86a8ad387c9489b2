// Progress: the interview countdown and readiness, the leadership-principle grid, and
// charts (uPlot) of rating, duration, time to first word and long pauses over time per deck,
// principle or question. Speech metrics are measured in the background after a take is
// saved; takes not measured yet are left out of those two charts until they are.
import type uPlot from "uplot";
import { api, errorText, events, reviewApi, type PrincipleRow, type ProgressPoint, type ProgressScope, type Question } from "./api";
import { localDateTime } from "./format";
import { saveInterviewDate } from "./interviewdate";
import { lang, t } from "./i18n";
import { $ } from "./dom";


const st = {
  open: false,
  charts: [] as uPlot[],
  /** Background measuring under way (its progress line stands in the charts' header). */
  measuring: false,
  questions: [] as Question[],
  /** Names in the UI language for the chart selector (deck ids and tags are not shown). */
  deckNames: new Map<string, string>(),
  principleNames: new Map<string, string>(),
  showError: (_: string) => undefined as void,
};

export function progressOpen(): boolean {
  return st.open;
}

export async function openProgress(initialScope: string | null = null): Promise<void> {
  st.open = true;
  $("progress").hidden = false;
  st.questions = await api.listQuestions().catch(() => []);
  const [decks, grid] = await Promise.all([api.listDecks().catch(() => []), reviewApi.principleGrid().catch(() => [])]);
  st.deckNames = new Map(decks.map((d) => [d.id, d.name[lang()] ?? d.name.en ?? d.id]));
  st.principleNames = new Map(grid.map((r) => [r.tag, r.name[lang()] ?? r.name.en ?? r.tag]));
  fillScopes();
  if (initialScope) $<HTMLSelectElement>("pg-scope").value = initialScope;
  await Promise.all([renderReadiness(), renderGrid(), renderCharts()]);
}

export function closeProgress(): void {
  if (!st.open) return;
  st.open = false;
  // Focus left in the hidden date field would take the next keys as typing.
  if ($("progress").contains(document.activeElement)) (document.activeElement as HTMLElement).blur();
  $("progress").hidden = true;
  st.charts.forEach((c) => c.destroy());
  st.charts = [];
  // The next open shows its own figures (and language), never these for a moment.
  $("pg-principles").textContent = "";
  $("pg-grid").replaceChildren();
}

export function progressKey(e: KeyboardEvent): void {
  const el = document.activeElement;
  if (el?.id === "pg-date" && e.key === "Enter") {
    void saveDate();
    e.preventDefault();
    return;
  }
  if (el && (el.tagName === "INPUT" || el.tagName === "SELECT")) return;
  if (e.key === "d") {
    $("pg-date").focus();
    e.preventDefault();
  } else if (e.key === "s") {
    $("pg-scope").focus();
    e.preventDefault();
  }
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`;
}

async function renderReadiness(): Promise<void> {
  try {
    const r = await reviewApi.readiness();
    $<HTMLInputElement>("pg-date").value = r.interview_date ?? "";
    $("pg-countdown").textContent =
      r.days_left === null ? t("progress.noDate") : r.days_left >= 0 ? t("progress.daysLeft", { count: r.days_left }) : t("progress.datePassed");
    $("pg-technical").textContent = t("progress.technical", {
      n: r.technical.rated_good_or_better_last_7_days,
      total: r.technical.total,
      share: pct(r.technical.share ?? 0),
    });
    $("pg-technical-bar").style.width = pct(r.technical.share ?? 0);
    $("pg-principles").textContent = t("progress.principles", {
      n: r.principles.with_two_good_stories,
      total: r.principles.total,
      share: pct(r.principles.share ?? 0),
    });
    $("pg-principles-bar").style.width = pct(r.principles.share ?? 0);
  } catch (e) {
    st.showError(errorText(e));
  }
}

async function saveDate(): Promise<void> {
  const field = $<HTMLInputElement>("pg-date");
  const r = await saveInterviewDate(field.value);
  const line = $("pg-date-error");
  line.textContent = r.message;
  line.dataset.ok = String(r.ok);
  field.setAttribute("aria-invalid", String(!r.ok));
  // A refused date leaves the field as typed (to correct it) and the stored date as it was.
  if (r.ok) await renderReadiness();
}

async function renderGrid(): Promise<void> {
  let rows: PrincipleRow[];
  try {
    rows = await reviewApi.principleGrid();
  } catch (e) {
    st.showError(errorText(e));
    return;
  }
  const body = $("pg-grid");
  body.replaceChildren();
  // A first day (nothing practised, no story told) gets "what to practise next", not a
  // warning on every principle; afterwards the weak ones are marked and the next one named.
  const firstDay = rows.every((r) => r.takes === 0 && r.rated_stories_good === 0);
  const weak = rows.filter((r) => r.weak && r.questions_total > 0);
  const next = [...weak].sort((a, b) => a.takes - b.takes)[0] ?? null;
  const nextName = next ? (next.name[lang()] ?? next.name.en ?? next.tag) : "";
  $("pg-next").textContent = !next ? "" : firstDay ? t("welcomeFinish.firstDay", { principle: nextName }) : t("welcomeFinish.next", { principle: nextName });
  for (const r of rows) {
    const tr = document.createElement("tr");
    tr.dataset.tag = r.tag;
    tr.dataset.weak = String(r.weak && !firstDay);
    tr.dataset.next = String(r === next);
    const cells = [
      r.name[lang()] ?? r.name.en ?? r.tag,
      `${r.questions_practised} / ${r.questions_total}`,
      String(r.takes),
      String(r.stories),
      String(r.stories_rehearsed_good),
      r.average_rating === null ? "–" : r.average_rating.toFixed(1),
      r.last_practised ? localDateTime(r.last_practised, lang()) : "–",
    ];
    for (const c of cells) {
      const td = document.createElement("td");
      td.textContent = c;
      tr.append(td);
    }
    tr.addEventListener("click", () => {
      $<HTMLSelectElement>("pg-scope").value = `principle:${r.tag}`;
      void renderCharts();
    });
    body.append(tr);
  }
}

function fillScopes(): void {
  const sel = $<HTMLSelectElement>("pg-scope");
  const keep = sel.value;
  sel.replaceChildren();
  const add = (value: string, label: string, parent: HTMLElement) => {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    parent.append(o);
  };
  const group = (label: string) => {
    const g = document.createElement("optgroup");
    g.label = label;
    sel.append(g);
    return g;
  };
  const decks = group(t("progress.decks"));
  for (const d of [...new Set(st.questions.map((q) => q.deck_id))]) add(`deck:${d}`, st.deckNames.get(d) ?? d, decks);
  const principles = group(t("progress.principleGroup"));
  for (const tag of [...new Set(st.questions.filter((q) => q.category === "behavioural").flatMap((q) => q.tags))].filter((x) => x !== "seed").sort()) {
    add(`principle:${tag}`, st.principleNames.get(tag) ?? tag, principles);
  }
  const qs = group(t("progress.questionGroup"));
  for (const q of st.questions) add(`question:${q.id}`, q.text[lang()] ?? q.text.en ?? q.id, qs);
  if (keep) sel.value = keep;
}

function scope(): ProgressScope | null {
  const v = $<HTMLSelectElement>("pg-scope").value;
  const i = v.indexOf(":");
  if (i < 0) return null;
  const kind = v.slice(0, i);
  const id = v.slice(i + 1);
  return kind === "deck" ? { deck: id } : kind === "principle" ? { principle: id } : { question: id };
}

/**
 * uPlot formats numbers with `Intl.NumberFormat(navigator.language)` when it loads. Under a
 * C or POSIX locale (LANG=C, common on servers and in CI) WebKitGTK reports the language
 * "C", which Intl refuses ("invalid language tag: C") and no chart could be drawn. Such a
 * language stands in for no preference, so it is read as the interface language instead.
 */
function useableNavigatorLanguage(): void {
  try {
    new Intl.NumberFormat(navigator.language);
  } catch {
    const fallback = lang() === "ko" ? "ko-KR" : "en-US";
    Object.defineProperty(navigator, "language", { configurable: true, get: () => fallback });
  }
}

async function renderCharts(): Promise<void> {
  try {
    await drawCharts();
  } catch (e) {
    st.showError(t("progress.chartsFailed", { message: errorText(e) }));
  }
}

/** Two charts a row when they fit at 320 px or more, else one a row at full width. */
function chartWidth(): number {
  const room = $("pg-charts").clientWidth;
  return room >= 2 * 320 + 12 ? Math.floor(room / 2 - 8) : Math.max(280, room - 4);
}

/** The window was resized: the charts take the width there is now (none runs off the side). */
function fitCharts(): void {
  if (!st.open || st.charts.length === 0) return;
  const width = chartWidth();
  st.charts.forEach((c) => c.setSize({ width, height: c.height }));
}

async function drawCharts(): Promise<void> {
  st.charts.forEach((c) => c.destroy());
  st.charts = [];
  const sc = scope();
  if (!sc) return;
  let points: ProgressPoint[];
  try {
    points = await reviewApi.progress(sc);
  } catch (e) {
    st.showError(errorText(e));
    return;
  }
  $("pg-empty").hidden = points.length > 0;
  $("pg-points").textContent = String(points.length);
  if (!points.length) return;
  // uPlot is loaded on first use: the app starts without it.
  useableNavigatorLanguage();
  const { default: UPlot } = await import("uplot");
  await import("uplot/dist/uPlot.min.css");
  const xs = points.map((p) => Date.parse(p.at) / 1000);
  const ratings = points.map((p) => p.rating);
  const durations = points.map((p) => p.duration_ms / 1000);
  const firstWords = points.map((p) => {
    const ms = p.metrics?.time_to_first_word_ms;
    return ms == null ? null : ms / 1000;
  });
  const pauses = points.map((p) => (p.metrics ? p.metrics.long_pauses : null));
  const unmeasured = points.filter((p) => !p.metrics).length;
  const measuring = $("pg-measuring");
  if (!st.measuring) {
    measuring.hidden = unmeasured === 0;
    measuring.textContent = t("progress.unmeasured", { count: unmeasured });
  }
  const width = chartWidth();
  const axisStyle = { stroke: "#9aa3b5", grid: { stroke: "#313746" }, ticks: { stroke: "#313746" } };
  // The time axis in the UI language's format (uPlot's own is "12/1/26 9:34pm" whatever
  // the language), as fine as the points' span needs: seconds within ten minutes, the time
  // within a day, day and time within two days, else the day.
  const span = xs.length ? xs[xs.length - 1] - xs[0] : 0;
  const time = { hour: "2-digit", minute: "2-digit", hour12: false } as const;
  const parts: Intl.DateTimeFormatOptions =
    span < 600 ? { ...time, second: "2-digit" } : span < 86_400 ? time : span < 2 * 86_400 ? { month: "short", day: "numeric", ...time } : { month: "short", day: "numeric" };
  const fmt = new Intl.DateTimeFormat(lang() === "ko" ? "ko-KR" : "en-GB", parts);
  // A tick that would repeat its left neighbour's text (splits finer than the format) is
  // left blank. The drawn texts are kept on the chart (data-x-ticks, data-y-ticks).
  const xAxis = {
    ...axisStyle,
    values: (u: uPlot, splits: number[]) => {
      const texts = splits.map((v) => fmt.format(new Date(v * 1000)));
      const shown = texts.map((x, i) => (i > 0 && x === texts[i - 1] ? "" : x));
      u.root.dataset.xTicks = shown.join("|");
      return shown;
    },
  };
  // The unit is written on each tick of the value axis ("4 s", "4초"), not as a label
  // turned on its side.
  const yAxis = (tick: (n: string) => string) => ({
    ...axisStyle,
    size: 64,
    values: (u: uPlot, splits: number[]) => {
      const shown = splits.map((v) => tick(String(+v.toFixed(2))));
      u.root.dataset.yTicks = shown.join("|");
      return shown;
    },
  });
  const plain = (n: string) => n;
  const secs = (n: string) => t("progress.tickSeconds", { n });
  const perMin = (n: string) => t("progress.tickPerMinute", { n });
  const chart = (title: string, label: string, tick: (n: string) => string, ys: (number | null)[], color: string, range?: [number, number]) =>
    new UPlot(
      {
        title,
        width,
        height: 220,
        scales: { x: { time: true }, y: range ? { range } : { auto: true } },
        axes: [xAxis, yAxis(tick)],
        series: [{}, { label, stroke: color, width: 2, points: { show: true, size: 6 }, spanGaps: true }],
        legend: { show: false },
      },
      [xs, ys],
      $("pg-charts"),
    );
  st.charts.push(chart(t("progress.ratingChart"), t("progress.rating"), plain, ratings, "#6ea8fe", [0.5, 4.5]));
  st.charts.push(chart(t("progress.durationChart"), t("progress.seconds"), secs, durations, "#3fb950"));
  st.charts.push(chart(t("progress.firstWordChart"), t("progress.seconds"), secs, firstWords, "#d29922"));
  const mostPauses = Math.max(3, ...pauses.map((n) => n ?? 0));
  st.charts.push(chart(t("progress.pausesChart"), t("progress.pauses"), plain, pauses, "#f47067", [0, mostPauses + 0.5]));
  // From the transcripts: pace (English in wpm, Korean in syllables/min: two lines, one
  // unit each) and fillers per minute. Takes not transcribed yet are gaps.
  const paceOf = (unit: string) => points.map((p) => (p.speech?.pace_unit === unit ? p.speech.pace_per_minute : null));
  const fillers = points.map((p) => p.speech?.fillers_per_minute ?? null);
  if (points.some((p) => p.speech)) {
    st.charts.push(
      new UPlot(
        {
          title: t("progress.paceChart"),
          width,
          height: 220,
          scales: { x: { time: true }, y: { auto: true } },
          axes: [xAxis, yAxis(perMin)],
          series: [
            {},
            { label: t("progress.paceWords"), stroke: "#a371f7", width: 2, points: { show: true, size: 6 }, spanGaps: true },
            { label: t("progress.paceSyllables"), stroke: "#39c5cf", width: 2, points: { show: true, size: 6 }, spanGaps: true },
          ],
          legend: { show: true },
        },
        [xs, paceOf("words_per_minute"), paceOf("syllables_per_minute")],
        $("pg-charts"),
      ),
    );
    st.charts.push(chart(t("progress.fillersChart"), t("progress.perMinute"), perMin, fillers, "#e3b341"));
  }
}

export async function initProgress(showError: (m: string) => void): Promise<void> {
  st.showError = showError;
  $("pg-date").addEventListener("change", () => void saveDate());
  $("pg-scope").addEventListener("change", () => void renderCharts());
  $("pg-close").addEventListener("click", closeProgress);
  let resizing = 0;
  window.addEventListener("resize", () => {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(fitCharts, 120);
  });
  await events.onMetrics((m) => {
    st.measuring = !m.finished;
    const line = $("pg-measuring");
    if (!m.finished) {
      line.hidden = false;
      line.textContent = t("progress.measuring", { done: m.done, total: m.total });
    } else if (st.open) {
      void renderCharts();
    } else {
      line.hidden = true;
    }
  });
}
