// The Stories screen (B from the main screen): the user's STAR stories, an editor that keeps
// what is typed as a draft in the library as the user types (a killed app loses nothing),
// and the coverage grid (16 principles × stories). Also the story pick of a practice
// session's think time (storyThink / storyPickKey / storyAnswer / storyTakeSaved), kept here
// so that the practice driver's page only calls four hooks.
// Length: the Stories screen builds its own markup (list, editor with drafts, tellings, grid)
// and the story pick that practice uses reads the same stories; both share its state.
import { errorText, storyApi, type Story, type StoryDetail, type StoryFields, type StoryGrid } from "./api";
import { clock, localDateTime } from "./format";
import { lang, t, type Key } from "./i18n";
import { $, el, find } from "./dom";
import { defineView } from "./views";

type View = "list" | "edit" | "grid";

const st = {
  open: false,
  view: "list" as View,
  stories: [] as Story[],
  grid: null as StoryGrid | null,
  index: 0,
  gridIndex: 0,
  editing: null as { id: number | null; opened: number | null } | null,
  deleteArmed: false,
  /** The stories and grid are being read: only moving between views and leaving act. */
  loading: false,
  draftTimer: 0 as number,
  onDrill: () => undefined as void,
};

const FIELDS = ["title", "situation", "task", "action", "result", "numbers", "role", "team", "year", "tags", "cueCard", "notes"] as const;
const LONG = new Set(["situation", "task", "action", "result", "numbers", "cueCard", "notes"]);



function principleName(tag: string): string {
  const p = st.grid?.principles.find((x) => x.tag === tag);
  return p?.name[lang()] ?? p?.name.en ?? tag;
}

/** The screen's markup, made once. */
function build(): void {
  if (find("stories-view")) return;
  const view = el("section", "stories-view");
  view.id = "stories-view";
  view.hidden = true;
  const head = el("header", "stories-head");
  head.append(el("h2", "", ""), el("span", "stories-hint", ""));
  head.querySelector("h2")!.id = "st-heading";
  head.querySelector(".stories-hint")!.id = "st-hint";
  const status = el("div", "stories-status");
  status.id = "st-status";
  status.setAttribute("role", "status");
  const list = el("ul", "stories-list");
  list.id = "st-list";
  const form = el("form", "story-editor");
  form.id = "st-editor";
  form.hidden = true;
  form.addEventListener("submit", (e) => e.preventDefault());
  for (const f of FIELDS) {
    const label = el("label", `story-field story-field-${f}`);
    const caption = el("span", "story-caption");
    caption.dataset.key = `stories.field.${f}`;
    const input = LONG.has(f) ? el("textarea") : el("input");
    input.id = `st-${f}`;
    if (input instanceof HTMLTextAreaElement) input.rows = f === "numbers" || f === "cueCard" ? 3 : 3;
    input.addEventListener("input", scheduleDraft);
    label.append(caption, input);
    form.append(label);
    if (f === "title") {
      const box = el("fieldset", "story-principles");
      box.id = "st-principles";
      const legend = el("legend", "story-caption");
      legend.dataset.key = "stories.field.principles";
      box.append(legend);
      form.append(box);
      const pl = el("label", "story-field");
      const pc = el("span", "story-caption");
      pc.dataset.key = "stories.field.primary";
      const sel = el("select");
      sel.id = "st-primary";
      sel.addEventListener("change", scheduleDraft);
      pl.append(pc, sel);
      form.append(pl);
    }
  }
  form.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && (e.key === "s" || e.key === "S")) {
      e.preventDefault();
      e.stopPropagation();
      void saveEditor(e.shiftKey);
    }
  });
  const tellings = el("section", "story-tellings");
  tellings.id = "st-tellings";
  tellings.hidden = true;
  const grid = el("div", "story-grid");
  grid.id = "st-grid";
  grid.hidden = true;
  view.append(head, status, list, form, tellings, grid);
  document.body.append(view);
}

function labels(): void {
  document.querySelectorAll<HTMLElement>("#stories-view [data-key]").forEach((e) => (e.textContent = t(e.dataset.key as Key)));
}

function say(text: string, kind: "" | "error" = ""): void {
  const s = $("st-status");
  s.textContent = text;
  s.dataset.kind = kind;
}

async function openStories(): Promise<void> {
  build();
  st.open = true;
  $("stories-view").hidden = false;
  document.body.dataset.screen = "stories";
  say("");
  // What is known shows at once and takes keys; the fresh stories and grid redraw the view
  // the user is on when they arrive (a G pressed meanwhile stays on the grid).
  st.loading = true;
  $("stories-view").dataset.loading = "true";
  show("list");
  await reload();
  st.loading = false;
  delete $("stories-view").dataset.loading;
  if (!st.open) return;
  // An unsaved draft (the app was closed or killed while typing) opens again first.
  const drafts = await storyApi.drafts().catch(() => []);
  if (!st.open) return;
  if (drafts.length > 0) {
    const d = drafts[0];
    openEditor(st.stories.find((s) => s.id === d.story_id) ?? null, d.body as Record<string, unknown> | null, d.base_revision);
    say(t("stories.draftRestored"));
  } else show(st.view);
}

function closeStories(): void {
  flushDraft();
  if ($("stories-view").contains(document.activeElement)) (document.activeElement as HTMLElement).blur();
  st.open = false;
  $("stories-view").hidden = true;
  delete document.body.dataset.screen;
}

async function reload(): Promise<void> {
  try {
    [st.stories, st.grid] = await Promise.all([storyApi.list(), storyApi.grid()]);
  } catch (e) {
    say(errorText(e), "error");
  }
  st.index = Math.min(st.index, Math.max(0, st.stories.length - 1));
}

function show(view: View): void {
  // Focus left in the hidden editor would take the next keys as typing (into a story).
  if (view !== "edit" && $("st-editor").contains(document.activeElement)) (document.activeElement as HTMLElement).blur();
  st.view = view;
  st.deleteArmed = false;
  $("st-status").dataset.leave = "";
  labels();
  $("st-heading").textContent = view === "grid" ? t("stories.grid") : view === "edit" ? t("stories.title") : t("stories.list");
  $("st-hint").textContent = t(view === "grid" ? "stories.hintGrid" : view === "edit" ? "stories.hintEdit" : "stories.hintList");
  $("st-list").hidden = view !== "list";
  $("st-editor").hidden = view !== "edit";
  $("st-grid").hidden = view !== "grid";
  if (view !== "edit") $("st-tellings").hidden = true;
  if (view === "list") renderList();
  if (view === "grid") renderGrid();
}

function renderList(): void {
  const ul = $("st-list");
  ul.replaceChildren();
  if (st.stories.length === 0) ul.append(el("li", "stories-empty", t("stories.none")));
  st.stories.forEach((s, i) => {
    const li = el("li", "story-item");
    li.dataset.id = String(s.id);
    li.setAttribute("aria-selected", String(i === st.index));
    li.append(
      el("span", "story-title", s.title),
      el("span", "chip", principleName(s.primary)),
      el("span", "story-counts", t("stories.takes", { takes: s.takes, good: s.good_takes })),
    );
    li.addEventListener("click", () => openEditor(s, null, null));
    ul.append(li);
  });
  ul.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: "nearest" });
}

// ---------- the editor ----------

function fieldValue(f: (typeof FIELDS)[number]): string {
  return ($(`st-${f}`) as HTMLInputElement).value;
}

function lines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

function editorFields(): StoryFields {
  const principles = [...document.querySelectorAll<HTMLInputElement>("#st-principles input:checked")].map((c) => c.value);
  const year = fieldValue("year").trim();
  return {
    title: fieldValue("title"),
    situation: fieldValue("situation"),
    task: fieldValue("task"),
    action: fieldValue("action"),
    result: fieldValue("result"),
    numbers: lines(fieldValue("numbers")),
    role: fieldValue("role"),
    team: fieldValue("team"),
    year: year === "" ? null : Number(year),
    principles,
    primary: ($("st-primary") as HTMLSelectElement).value || principles[0] || "",
    tags: fieldValue("tags")
      .split(",")
      .map((x) => x.trim())
      .filter((x) => x),
    cue_card: lines(fieldValue("cueCard")),
    questions: st.editing ? (st.stories.find((s) => s.id === st.editing!.id)?.questions ?? []) : [],
    notes: fieldValue("notes"),
  };
}

function renderPrimary(keep: string): void {
  const sel = $("st-primary") as HTMLSelectElement;
  const chosen = [...document.querySelectorAll<HTMLInputElement>("#st-principles input:checked")].map((c) => c.value);
  sel.replaceChildren(...chosen.map((tag) => Object.assign(el("option", "", principleName(tag)), { value: tag })));
  sel.value = chosen.includes(keep) ? keep : (chosen[0] ?? "");
}

function openEditor(story: Story | null, draft: Record<string, unknown> | null, draftBase: number | null): void {
  st.editing = { id: story?.id ?? null, opened: draft ? draftBase : (story?.revision ?? null) };
  const src = (draft ?? story ?? {}) as Record<string, unknown>;
  const text = (k: string): string => {
    const v = src[k === "cueCard" ? "cue_card" : k];
    if (Array.isArray(v)) return (v as string[]).join(k === "tags" ? ", " : "\n");
    return v === null || v === undefined ? "" : String(v);
  };
  for (const f of FIELDS) ($(`st-${f}`) as HTMLInputElement).value = text(f);
  const chosen = (src.principles as string[] | undefined) ?? [];
  const box = $("st-principles");
  box.querySelectorAll("label").forEach((l) => l.remove());
  for (const p of st.grid?.principles ?? []) {
    const l = el("label", "story-principle");
    const c = el("input");
    c.type = "checkbox";
    c.value = p.tag;
    c.checked = chosen.includes(p.tag);
    c.addEventListener("change", () => {
      renderPrimary(($("st-primary") as HTMLSelectElement).value);
      scheduleDraft();
    });
    l.append(c, el("span", "", p.name[lang()] ?? p.name.en));
    box.append(l);
  }
  renderPrimary(String(src.primary ?? ""));
  show("edit");
  $("st-heading").textContent = story ? story.title : t("stories.new");
  $("st-heading").dataset.story = String(story?.id ?? "new");
  $("st-title").focus();
  $("st-tellings").hidden = true;
  if (story) void loadTellings(story.id);
}

// ---------- a story's tellings: its takes and the facts that changed between them ----------

const FACT_KINDS = new Set([
  "people",
  "days",
  "weeks",
  "months",
  "years",
  "hours",
  "minutes",
  "seconds",
  "ms",
  "percent",
  "customers",
  "servers",
  "databases",
  "tickets",
  "times",
]);

async function loadTellings(id: number): Promise<void> {
  let d: StoryDetail;
  try {
    d = await storyApi.detail(id);
  } catch (e) {
    say(errorText(e), "error");
    return;
  }
  if (st.view !== "edit" || st.editing?.id !== id) return;
  renderTellings(d);
}

function renderTellings(d: StoryDetail): void {
  const box = $("st-tellings");
  box.replaceChildren();
  box.hidden = d.linked_takes.length === 0 && d.fact_changes.length === 0;
  box.append(el("h3", "", t("stories.tellings", { count: d.linked_takes.length })));
  const started = new Map(d.linked_takes.map((k) => [k.id, k.started_at]));
  const takes = el("ul", "story-takes");
  for (const k of d.linked_takes) {
    const rating = k.rating === null ? t("rating.none") : t(`rating.${["again", "hard", "good", "easy"][k.rating - 1]}` as Key);
    takes.append(el("li", "", t("stories.tellingLine", { id: k.id, when: localDateTime(k.started_at, lang()), rating })));
  }
  box.append(takes);
  const facts = el("div", "story-facts");
  facts.id = "st-facts";
  facts.append(el("h4", "", t("stories.factsTitle")));
  if (d.fact_changes.length === 0) facts.append(el("p", "muted", t("stories.factsNone")));
  const ul = el("ul");
  for (const c of d.fact_changes) {
    const li = el("li", "fact-change");
    li.dataset.kind = c.kind;
    li.append(el("strong", "", FACT_KINDS.has(c.kind) ? t(`stories.factKind.${c.kind}` as Key) : c.kind));
    const said = el("ul");
    for (const f of c.facts) {
      const where =
        f.take_id === null
          ? t("stories.factWritten")
          : t("stories.factSaid", {
              id: f.take_id,
              at: f.at_ms === null ? "–" : clock(f.at_ms),
              when: localDateTime(started.get(f.take_id) ?? "", lang()),
            });
      const item = el("li", f.take_id === null ? "fact-written" : "fact-said", `${f.value} · “${f.said}” — ${where}`);
      said.append(item);
    }
    li.append(said);
    ul.append(li);
  }
  facts.append(ul);
  box.append(facts);
}

/** Keeps what was typed, a moment after the last key (and at once on leaving). */
function scheduleDraft(): void {
  window.clearTimeout(st.draftTimer);
  st.draftTimer = window.setTimeout(() => void saveDraft(), 250);
}

function flushDraft(): void {
  if (st.draftTimer) {
    window.clearTimeout(st.draftTimer);
    st.draftTimer = 0;
    void saveDraft();
  }
}

async function saveDraft(): Promise<void> {
  st.draftTimer = 0;
  if (!st.editing || st.view !== "edit") return;
  try {
    const d = await storyApi.saveDraft(st.editing.id, st.editing.opened, editorFields());
    say(t("stories.draftSaved", { time: new Date(d.saved_at).toLocaleTimeString(lang()) }));
  } catch (e) {
    say(errorText(e), "error");
  }
}

/** Saves the story; `over` saves over a change made elsewhere. True when saved. */
async function saveEditor(over = false): Promise<boolean> {
  if (!st.editing) return true;
  window.clearTimeout(st.draftTimer);
  st.draftTimer = 0;
  const fields = editorFields();
  try {
    let opened = st.editing.opened;
    if (over && st.editing.id !== null) opened = (await storyApi.list()).find((s) => s.id === st.editing!.id)?.revision ?? opened;
    const saved = await storyApi.save(st.editing.id, opened, fields);
    st.editing = { id: saved.id, opened: saved.revision };
    await reload();
    st.index = Math.max(0, st.stories.findIndex((s) => s.id === saved.id));
    say(t("stories.saved", { revision: saved.revision }));
    return true;
  } catch (e) {
    await saveDraft(); // the text stays kept
    const kind = (e as { kind?: string }).kind;
    say(kind === "edit_conflict" ? t("stories.conflict") : t("stories.invalid", { message: errorText(e) }), "error");
    return false;
  }
}

async function leaveEditor(): Promise<void> {
  if (await saveEditor()) {
    st.editing = null;
    show("list");
  } else if ($("st-status").dataset.leave === "1") {
    // Esc again on text that cannot be saved: leave it, kept as a draft.
    $("st-status").dataset.leave = "";
    st.editing = null;
    show("list");
  } else $("st-status").dataset.leave = "1";
}

// ---------- the grid ----------

function renderGrid(): void {
  const g = st.grid;
  const box = $("st-grid");
  box.replaceChildren();
  if (!g) return;
  const table = el("table", "story-grid-table");
  const head = el("tr");
  head.append(el("th", "", t("stories.colPrinciple")));
  for (const s of g.stories) {
    const th = el("th", "story-col", s.title);
    th.title = s.title;
    head.append(th);
  }
  head.append(el("th", "", t("stories.colStories")), el("th", "", t("stories.colGood")));
  table.append(head);
  g.principles.forEach((p, i) => {
    const tr = el("tr");
    tr.dataset.tag = p.tag;
    tr.dataset.gap = String(p.gap);
    tr.setAttribute("aria-selected", String(i === st.gridIndex));
    tr.append(el("td", "", p.name[lang()] ?? p.name.en));
    for (const s of g.stories) {
      const c = p.cells.find((x) => x.story_id === s.id);
      const td = el("td", "story-cell", c ? (c.primary ? "●" : "○") : "");
      if (c?.primary) td.title = t("stories.primaryMark");
      tr.append(td);
    }
    tr.append(el("td", "story-count", String(p.stories)), el("td", "story-count", String(p.good_rehearsals)));
    if (p.gap) tr.title = t("stories.gap", { n: g.stories_needed });
    table.append(tr);
  });
  box.append(table, el("p", "story-target", t("stories.target", { n: g.stories_needed, max: g.max_principles_alone })));
  const warn = el("ul", "story-warnings");
  for (const w of g.warnings) {
    const text =
      w.kind === "few_stories"
        ? t("stories.warnFew", { principle: principleName(w.principle), n: w.stories, need: g.stories_needed })
        : t("stories.warnCarries", { title: w.title, n: w.principles.length, list: w.principles.map(principleName).join(", ") });
    warn.append(el("li", w.kind, text));
  }
  const sel = g.principles[st.gridIndex];
  const qs = el("div", "story-questions");
  if (sel) {
    qs.append(el("h3", "", t("stories.questionsOf", { principle: principleName(sel.tag) })));
    const ul = el("ul");
    for (const q of sel.questions) {
      const li = el("li", q.stories.length ? "" : "no-story", q.text[lang()] ?? q.text.en ?? q.id);
      const titles = q.stories.map((id) => g.stories.find((s) => s.id === id)?.title ?? String(id));
      li.append(el("span", "story-q-stories", titles.length ? ` — ${titles.join(", ")}` : ` — ${t("stories.noStory")}`));
      ul.append(li);
    }
    qs.append(ul);
  }
  box.append(qs, warn);
}

// ---------- keys ----------

function typing(e: KeyboardEvent): boolean {
  return !!(e.target as HTMLElement).closest?.("input, textarea, select");
}

/** Keys while the Stories screen is open (all of them: nothing behind it reacts). */
function storiesKey(e: KeyboardEvent): boolean {
  if (!st.open) return false;
  const key = e.key;
  if (st.view === "edit") {
    if (key === "Escape") {
      e.preventDefault();
      void leaveEditor();
    }
    return true; // typing goes to the fields
  }
  if (typing(e)) return true;
  if (key === "?") return false; // the shortcut list
  if (key === "Escape") closeStories();
  else if (st.loading && !["g", "G", "Tab", "ArrowDown", "ArrowUp", "j", "k"].includes(key)) return true;
  else if (st.view === "grid") {
    if (key === "g" || key === "G" || key === "Tab") show("list");
    else if (key === "ArrowDown" || key === "ArrowUp") {
      st.gridIndex = Math.max(0, Math.min(15, st.gridIndex + (key === "ArrowDown" ? 1 : -1)));
      renderGrid();
    } else return true;
  } else if (key === "ArrowDown" || key === "ArrowUp" || key === "j" || key === "k") {
    st.index = Math.max(0, Math.min(st.stories.length - 1, st.index + (key === "ArrowDown" || key === "j" ? 1 : -1)));
    st.deleteArmed = false;
    renderList();
  } else if (key === "n" || key === "N") openEditor(null, null, null);
  else if (key === "Enter" && st.stories[st.index]) openEditor(st.stories[st.index], null, null);
  else if (key === "g" || key === "G" || key === "Tab") show("grid");
  else if (key === "c" || key === "C") void toggleCueCard();
  else if (key === "m" || key === "M") void toggleCallCueCard();
  else if (key === "d" || key === "D") {
    // The drill runs on the practice screen; the stories screen closes behind it.
    closeStories();
    st.onDrill();
  } else if (key === "Delete" && st.stories[st.index]) {
    const s = st.stories[st.index];
    if (!st.deleteArmed) {
      st.deleteArmed = true;
      say(t("stories.deleteAsk", { title: s.title }));
    } else {
      st.deleteArmed = false;
      void storyApi.remove(s.id).then(
        async () => {
          await reload();
          renderList();
          say(t("stories.deleted"));
        },
        (err) => say(errorText(err), "error"),
      );
    }
  } else return true;
  e.preventDefault();
  return true;
}

async function toggleCueCard(): Promise<void> {
  try {
    const on = !(await storyApi.cueCard());
    await storyApi.setCueCard(on);
    say(t(on ? "stories.cueOn" : "stories.cueOff"));
  } catch (e) {
    say(errorText(e), "error");
  }
}

/** The cue card in a mock call's story pick: off unless turned on (as in a real call). */
async function toggleCallCueCard(): Promise<void> {
  try {
    const on = !(await storyApi.callCueCard());
    await storyApi.setCallCueCard(on);
    say(t(on ? "callStory.cueOn" : "callStory.cueOff"));
  } catch (e) {
    say(errorText(e), "error");
  }
}

/** The story drill (D) runs on the practice screen: practice tells how to start one. */
export function onStoryDrill(f: () => void): void {
  st.onDrill = f;
}

defineView({ name: "stories", isOpen: () => st.open, key: storiesKey, init: build, open: openStories });

// ---------- practice: the story pick during the think time ----------

const pick = {
  question: "",
  offered: [] as Story[],
  chosen: null as Story | null,
  cueCard: true,
  linkedTake: 0,
  /** A story drill's story: told, not picked (the driver links its takes). */
  drill: false,
};

function pickPanel(): HTMLElement {
  let box = find("s-story");
  if (!box) {
    box = el("div", "story-pick");
    box.id = "s-story";
    $("s-question").after(box);
  }
  return box;
}

function renderPick(): void {
  const box = pickPanel();
  box.replaceChildren();
  box.hidden = false;
  if (pick.drill && pick.chosen) {
    box.append(el("h3", "", t("stories.drillTell", { title: pick.chosen.title })));
    cueCard(box);
    return;
  }
  box.append(el("h3", "", pick.chosen ? t("stories.picked", { title: pick.chosen.title }) : t("stories.pickTitle")));
  const ul = el("ul", "story-pick-list");
  pick.offered.slice(0, 9).forEach((s, i) => {
    const li = el("li", "", `${i + 1}  ${s.title}`);
    li.setAttribute("aria-selected", String(pick.chosen?.id === s.id));
    ul.append(li);
  });
  const none = el("li", "", t("stories.pickNone"));
  none.setAttribute("aria-selected", String(pick.chosen === null));
  ul.append(none);
  box.append(ul);
  cueCard(box);
}

/** The chosen story's cue card, when the setting shows it during the think time. */
function cueCard(box: HTMLElement): void {
  if (!pick.chosen || !pick.cueCard || !pick.chosen.cue_card?.length) return;
  const card = el("div", "story-cue-card");
  card.append(el("h4", "", t("stories.cueCard")));
  const bullets = el("ul");
  pick.chosen.cue_card.forEach((b) => bullets.append(el("li", "", b)));
  card.append(bullets);
  box.append(card);
}

/** The think time of a question began: offer the stories for a behavioural one, or show
 * the story a drill asks for (`told`). */
export async function storyThink(question: { id: string; category: string }, told: Story | null = null): Promise<void> {
  const box = pickPanel();
  box.hidden = true;
  pick.drill = told !== null;
  if (told) {
    pick.question = question.id;
    pick.chosen = told;
    pick.offered = [];
    try {
      pick.cueCard = await storyApi.cueCard();
    } catch {
      pick.cueCard = true;
    }
    renderPick();
    return;
  }
  if (question.category !== "behavioural") return;
  if (pick.question !== question.id) {
    pick.question = question.id;
    pick.chosen = null;
  }
  try {
    const r = await storyApi.pick(question.id);
    pick.offered = r.stories;
    pick.cueCard = r.show_cue_card;
  } catch {
    pick.offered = [];
  }
  if (pick.offered.length) renderPick();
}

/** A key during the think time: 1–9 picks a story, 0 none. True when it was one. */
export function storyPickKey(key: string): boolean {
  if (!/^[0-9]$/.test(key) || pick.offered.length === 0 || find("s-story")?.hidden) return false;
  const n = Number(key);
  if (n === 0) pick.chosen = null;
  else if (pick.offered[n - 1]) pick.chosen = pick.offered[n - 1];
  else return false;
  renderPick();
  return true;
}

/** The answer began: the cue card shows during the think time only. */
export function storyAnswer(): void {
  const box = $("s-story");
  if (box) box.hidden = true;
}

/** A take of the question was saved: link it to the story picked for it. */
export async function storyTakeSaved(takeId: number, showError: (m: string) => void): Promise<void> {
  if (!pick.chosen || pick.linkedTake === takeId) return;
  pick.linkedTake = takeId;
  try {
    if (!pick.drill) await storyApi.link(takeId, pick.chosen.id);
    const box = pickPanel();
    box.hidden = false;
    box.replaceChildren(el("p", "story-linked", t("stories.linked", { title: pick.chosen.title })));
  } catch (e) {
    showError(errorText(e));
  }
}
