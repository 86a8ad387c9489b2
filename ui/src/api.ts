// Typed wrappers over the Tauri commands and events of src-tauri/src/commands.rs and recorder.rs.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

export interface CommandError {
  kind: string;
  message: string;
}

export interface Question {
  id: string;
  deck_id: string;
  position: number;
  category: string;
  tags: string[];
  think_secs: number;
  answer_secs: number;
  retakes: number;
  text: Record<string, string>;
  key_points: Record<string, string[]>;
  probes: Record<string, string[]>;
}

export interface Take {
  id: number;
  question_id: string;
  started_at: string;
  duration_ms: number;
  sample_rate: number;
  channels: number;
  file_path: string;
  rating: number | null;
  notes: string;
  dropped_frames: number;
  device: string;
  status: "ok" | "recovered" | "damaged";
  stop_reason: string | null;
  session_id: number | null;
  best: boolean;
  start_delay_ms: number | null;
  /// For a rehearsal's follow-up probe: the take of the question it followed, and the probe.
  parent_take_id: number | null;
  probe: string | null;
}

export interface RecoveryReport {
  recovered: Take[];
  damaged: { file: string; reason: string }[];
  in_use: number;
  sessions: { session_id: number; status: string; seconds: number; markers: number; takes: number }[];
}

export interface AppStatus {
  data_dir: string | null;
  error: CommandError | null;
  recovery: RecoveryReport | null;
  ui_language: string | null;
  skip_silences: boolean;
}

export interface LevelEvent {
  elapsed_ms: number;
  peak_dbfs: number;
  rms_dbfs: number;
  clipped: boolean;
}

export interface StartedEvent {
  sample_rate: number;
  device: string;
}

export interface FailedEvent {
  message: string;
  saved: Take | null;
}

export type PlaybackEvent =
  | { type: "progress"; position_ms: number; duration_ms: number }
  | { type: "finished"; position_ms: number; duration_ms: number }
  | { type: "failed"; message: string };

export interface InputDevice {
  name: string;
  id: string;
  is_default: boolean;
  config: string;
}

export type MicCheckEvent =
  | { phase: "recording"; elapsed_ms: number; peak_dbfs: number; rms_dbfs: number; clipped: boolean }
  | { phase: "playing"; duration_ms: number }
  | { phase: "done"; peak_dbfs: number }
  | { phase: "failed"; message: string };

export interface DeckSummary {
  id: string;
  name: Record<string, string>;
  description: Record<string, string>;
  languages: string[];
  builtin: boolean;
  questions: number;
}

export interface PracticeOptions {
  deck_id: string;
  category: string | null;
  tag: string | null;
  count: number;
  order: "in_order" | "shuffled" | "due_first";
  language: string;
  overtime: boolean;
}

export interface SessionSummary {
  id: number;
  questions: number;
  takes: number;
  total_ms: number;
  rows: { question_id: string; text: string; takes: Take[] }[];
}

export type PracticePhase =
  | { phase: "think"; index: number; total: number; question: Question; think_ms: number; answer_ms: number | null; take_number: number }
  | { phase: "answer"; index: number; answer_ms: number | null }
  | { phase: "review"; index: number; take: Take; retakes_left: number; is_last: boolean }
  | { phase: "error"; index: number; message: string; retakes_left: number }
  | { phase: "done"; summary: SessionSummary };

export type PracticeCmd = "skip_think" | "stop_answer" | "retake" | "next" | "end";

export interface SpeechMetrics {
  duration_ms: number;
  time_to_first_word_ms: number | null;
  speaking_ms: number;
  silence_ms: number;
  long_pauses: number[];
  peak_dbfs: number;
  rms_dbfs: number;
  clipped_samples: number;
}

export interface ScheduleRow {
  question_id: string;
  due_at: string;
  reviews: number;
  agains: number;
  leech: boolean;
}

export const api = {
  appStatus: () => invoke<AppStatus>("app_status"),
  listQuestions: () => invoke<Question[]>("list_questions"),
  listTakes: (questionId: string) => invoke<Take[]>("list_takes", { questionId }),
  startRecording: (questionId: string) => invoke<string | null>("start_recording", { questionId }),
  listInputs: () => invoke<{ devices: InputDevice[]; selected: string | null }>("list_inputs"),
  setInput: (name: string | null) => invoke<void>("set_input", { name }),
  listOutputs: () => invoke<{ devices: InputDevice[]; selected: string | null }>("list_outputs"),
  setOutput: (name: string | null) => invoke<void>("set_output", { name }),
  micCheck: () => invoke<string | null>("mic_check"),
  listDecks: () => invoke<DeckSummary[]>("list_decks"),
  takeMetrics: (takeId: number) => invoke<SpeechMetrics>("take_metrics", { takeId }),
  listSchedule: () => invoke<ScheduleRow[]>("list_schedule"),
  importDeck: (path: string) => invoke<{ deck_id: string; added: number; updated: number; retired: number }>("import_deck", { path }),
  exportDeck: (deckId: string, path: string) => invoke<void>("export_deck", { deckId, path }),
  setSetting: (key: string, value: string | null) => invoke<void>("set_setting", { key, value }),
  startPractice: (options: PracticeOptions) => invoke<{ id: number; questions: Question[] }>("start_practice", { options }),
  practice: (cmd: PracticeCmd) => invoke<void>("practice_command", { cmd }),
  rateTake: (takeId: number, rating: number | null) => invoke<Take>("rate_take", { takeId, rating }),
  markBest: (takeId: number) => invoke<Take>("mark_best", { takeId }),
  stopRecording: () => invoke<Take>("stop_recording"),
  playTake: (takeId: number) => invoke<number>("play_take", { takeId }),
  stopPlayback: () => invoke<void>("stop_playback"),
  deleteTake: (takeId: number) => invoke<void>("delete_take", { takeId }),
};

export const events = {
  onStarted: (f: (e: StartedEvent) => void): Promise<UnlistenFn> => listen<StartedEvent>("capture-started", (e) => f(e.payload)),
  onLevel: (f: (e: LevelEvent) => void): Promise<UnlistenFn> => listen<LevelEvent>("capture-level", (e) => f(e.payload)),
  onFinished: (f: (t: Take) => void): Promise<UnlistenFn> => listen<Take>("capture-finished", (e) => f(e.payload)),
  onFailed: (f: (e: FailedEvent) => void): Promise<UnlistenFn> => listen<FailedEvent>("capture-failed", (e) => f(e.payload)),
  onSilent: (f: (e: { seconds: number }) => void): Promise<UnlistenFn> => listen<{ seconds: number }>("capture-silent", (e) => f(e.payload)),
  onDiskLow: (f: (e: { seconds_left: number }) => void): Promise<UnlistenFn> =>
    listen<{ seconds_left: number }>("capture-disk-low", (e) => f(e.payload)),
  onMicCheck: (f: (e: MicCheckEvent) => void): Promise<UnlistenFn> => listen<MicCheckEvent>("miccheck", (e) => f(e.payload)),
  onPractice: (f: (e: PracticePhase) => void): Promise<UnlistenFn> => listen<PracticePhase>("practice", (e) => f(e.payload)),
  onPracticeStarted: (f: (e: StartedEvent) => void): Promise<UnlistenFn> => listen<StartedEvent>("practice-started", (e) => f(e.payload)),
  onPracticeLevel: (f: (e: LevelEvent) => void): Promise<UnlistenFn> => listen<LevelEvent>("practice-level", (e) => f(e.payload)),
  onPracticeFailed: (f: (e: FailedEvent) => void): Promise<UnlistenFn> => listen<FailedEvent>("practice-failed", (e) => f(e.payload)),
  onPracticeSilent: (f: (e: { seconds: number }) => void): Promise<UnlistenFn> =>
    listen<{ seconds: number }>("practice-silent", (e) => f(e.payload)),
  onPlayback: (f: (e: { take_id: number; event: PlaybackEvent }) => void): Promise<UnlistenFn> =>
    listen<{ take_id: number; event: PlaybackEvent }>("playback", (e) => f(e.payload)),
  onCall: (f: (e: CallEvent) => void): Promise<UnlistenFn> => listen<CallEvent>("call", (e) => f(e.payload)),
  onMetrics: (f: (e: MetricsProgress) => void): Promise<UnlistenFn> => listen<MetricsProgress>("metrics", (e) => f(e.payload)),
  onArchive: (f: (e: ArchiveProgress) => void): Promise<UnlistenFn> => listen<ArchiveProgress>("archive", (e) => f(e.payload)),
};

/** Errors from commands arrive as {kind, message}; anything else is shown as text. */
export function errorText(e: unknown): string {
  if (e && typeof e === "object" && "message" in e) return String((e as CommandError).message);
  return String(e);
}

// ---------- review (src-tauri/src/review.rs) ----------

export type PrincipleLevel = "not" | "demonstrated" | "strong";

export interface Rubric {
  key_points: number[];
  situation: boolean;
  task: boolean;
  action: boolean;
  result: boolean;
  i_not_we: boolean;
  number: boolean;
  principle: PrincipleLevel | null;
}

export type RatingFilter = "again" | "hard" | "good" | "easy" | "unrated";

export interface TakeQuery {
  deck: string | null;
  category: string | null;
  tag: string | null;
  ratings: RatingFilter[];
  from: string | null;
  to: string | null;
  statuses: string[];
  best_only: boolean;
  search: string | null;
  sort: "date" | "rating" | "duration";
  descending: boolean;
  limit: number;
  offset: number;
}

export interface LibraryRow {
  take: ReviewTake;
  question_text: Record<string, string>;
  deck_id: string;
  category: string;
  tags: string[];
  leech: boolean;
}

export interface ReviewTake extends Take {
  rubric: Rubric;
}

export interface TakePage {
  total: number;
  rows: LibraryRow[];
}

export interface Bookmark {
  id: number;
  take_id: number;
  at_ms: number;
  note: string;
  created_at: string;
}

export interface Rerate {
  id: number;
  take_id: number;
  rating: number;
  previous_rating: number | null;
  rated_at: string;
}

export interface TakeReview {
  take: ReviewTake;
  question: Question;
  metrics: SpeechMetrics | null;
  bookmarks: Bookmark[];
  rerates: Rerate[];
}

export interface Readiness {
  interview_date: string | null;
  days_left: number | null;
  technical: { rated_good_or_better_last_7_days: number; total: number; share: number };
  principles: { with_two_good_stories: number; total: number; share: number; weak: string[] };
}

export interface PrincipleRow {
  tag: string;
  name: Record<string, string>;
  questions_practised: number;
  questions_total: number;
  takes: number;
  rated_stories_good: number;
  last_practised: string | null;
  average_rating: number | null;
  weak: boolean;
}

export interface ProgressPoint {
  at: string;
  take_id: number;
  question_id: string;
  rating: number | null;
  duration_ms: number;
  /** Speech metrics once the take has been measured (in the background after saving). */
  metrics: PointMetrics | null;
}

export interface PointMetrics {
  time_to_first_word_ms: number | null;
  speaking_ms: number;
  silence_ms: number;
  long_pauses: number;
  longest_pause_ms: number;
}

/** What an export or import of everything did (rehearse-core ArchiveReport). */
export interface ArchiveReport {
  path: string;
  files: number;
  takes: number;
  bytes: number;
  schema_version: number;
  missing: string[];
  skipped: string[];
}

/** Progress of a long export or import (event "archive"). */
export interface ArchiveProgress {
  op: "export" | "import";
  done: number;
  total: number;
}

/** Background measuring of speech metrics (src-tauri/src/metrics.rs). */
export interface MetricsProgress {
  done: number;
  total: number;
  failed: number;
  finished: boolean;
}

export type ProgressScope = { question: string } | { deck: string } | { principle: string };

export type PlaybackControl = { pause: null } | { resume: null } | { seek: number } | { speed: number };

export const reviewApi = {
  query: (query: TakeQuery) => invoke<TakePage>("library_query", { query }),
  review: (takeId: number) => invoke<TakeReview>("take_review", { takeId }),
  setRubric: (takeId: number, rubric: Rubric) => invoke<ReviewTake>("set_rubric", { takeId, rubric }),
  setNote: (takeId: number, note: string) => invoke<ReviewTake>("set_note", { takeId, note }),
  addBookmark: (takeId: number, atMs: number, note: string) => invoke<Bookmark>("add_bookmark", { takeId, atMs, note }),
  deleteBookmark: (id: number) => invoke<void>("delete_bookmark", { id }),
  rerateCandidates: (limit: number) => invoke<{ take: ReviewTake; last_rerated_at: string | null }[]>("rerate_candidates", { limit }),
  blindRerate: (takeId: number, rating: number) => invoke<Rerate>("blind_rerate", { takeId, rating }),
  readiness: () => invoke<Readiness>("readiness"),
  principleGrid: () => invoke<PrincipleRow[]>("principle_grid"),
  progress: (scope: ProgressScope) => invoke<ProgressPoint[]>("progress", { scope }),
  peaks: (takeId: number, width: number) => invoke<[number, number][]>("take_peaks", { takeId, width }),
  play: (takeId: number, fromMs: number, speed: number, skipSilences = false) =>
    invoke<number>("play_take_at", { takeId, fromMs, speed, skipSilences }),
  silences: (takeId: number) => invoke<{ start_ms: number; end_ms: number }[]>("take_silences", { takeId }),
  control: (control: PlaybackControl) => invoke<void>("playback_control", { control }),
  exportTake: (takeId: number, path: string) => invoke<string>("export_take", { takeId, path }),
  exportSession: (sessionId: number, path: string) => invoke<unknown>("export_session", { sessionId, path }),
  exportAll: (path: string) => invoke<ArchiveReport>("export_all", { path }),
  importAll: (path: string) => invoke<ArchiveReport>("import_all", { path }),
};

// ---------- video-call rehearsal (src-tauri/src/call.rs, rehearse-engine events) ----------

export interface TemplateSummary {
  id: string;
  name: Record<string, string>;
  description: Record<string, string>;
  builtin: boolean;
  segments: number;
  length_secs: number;
}

export interface PlannedSegment {
  id: string;
  name: string;
  length_secs: number;
  answer_secs: number;
  questions: { question_id: string; category: string; text: string; speaker: "A" | "B"; probes: string[] }[];
}

export interface Preflight {
  plan: { template_id: string; template_name: string; language: string; segments: PlannedSegment[] };
  voice_problem: string | null;
  free_bytes: number | null;
  needed_bytes: number;
  missing_input: string | null;
  allow_pause: boolean;
}

export type MarkerKind =
  | "session_start"
  | "session_end"
  | "segment_start"
  | "segment_end"
  | "question_start"
  | "question_end"
  | "probe_start"
  | "probe_end"
  | "pause"
  | "resume";

export interface Marker {
  id: number;
  session_id: number;
  kind: MarkerKind;
  label: string;
  question_id: string | null;
  take_id: number | null;
  sample_offset: number;
  created_at: string;
}

/** The parts of rehearse-core's RehearsalReport the in-app report uses. */
export interface CallReport {
  segments: {
    name: string;
    answers: {
      probe: boolean;
      start: number;
      limit_secs: number | null;
      /** From the answer clock's start to the answer's end. */
      used_ms: number | null;
      over_limit: boolean;
      /** The take cut for it, with its kept speech metrics (null when unreadable). */
      take: { take: { id: number }; metrics: SpeechMetrics | null } | null;
    }[];
  }[];
}

export interface RehearsalDetail {
  session: { id: number; template_id: string; language: string; started_at: string; ended_at: string | null; wav_path: string; sample_rate: number; frames: number; status: string };
  markers: Marker[];
  takes: Take[];
}

export type CallEvent =
  | { type: "voice_unavailable"; reason: string }
  | { type: "started"; session_id: number; sample_rate: number; device: string; wav_path: string; length_secs: number; allow_pause: boolean }
  | { type: "marker"; marker_id: number; kind: MarkerKind; label: string; question_id: string | null; speaker: "A" | "B" | null; segment: string; sample_offset: number; seconds: number }
  | { type: "deadline"; what: "segment" | "answer"; sample_offset: number; seconds: number }
  | { type: "prompt"; speaker: "A" | "B"; question_id: string; text: string; probe: boolean; answer_secs: number }
  | { type: "level"; seconds: number; peak_dbfs: number; rms_dbfs: number }
  | { type: "paused"; sample_offset: number; seconds: number }
  | { type: "resumed"; sample_offset: number; seconds: number; paused_secs: number }
  | { type: "take_saved"; take_id: number; question_id: string; probe: string | null; parent_take_id: number | null; duration_ms: number }
  | { type: "warning"; message: string }
  | { type: "finished"; summary: { session_id: number; status: string; frames: number; sample_rate: number; seconds: number; markers: number; takes: number; wav_path: string } };

export const callApi = {
  templates: () => invoke<TemplateSummary[]>("list_templates"),
  importTemplate: (path: string) => invoke<{ template_id: string; created: boolean; segments: number }>("import_template", { path }),
  exportTemplate: (templateId: string, path: string) => invoke<void>("export_template", { templateId, path }),
  templateText: (templateId: string) => invoke<string>("template_text", { templateId }),
  saveTemplateText: (text: string) => invoke<{ template_id: string; created: boolean; segments: number }>("save_template_text", { text }),
  preflight: (templateId: string, language: string) => invoke<Preflight>("call_preflight", { templateId, language }),
  testVoices: (language: string) => invoke<void>("test_voices", { language }),
  start: (templateId: string, language: string) => invoke<number>("start_call", { templateId, language }),
  command: (cmd: "next" | "end" | "pause" | "resume") => invoke<void>("call_command", { cmd }),
  detail: (sessionId: number) => invoke<RehearsalDetail>("call_detail", { sessionId }),
  report: (sessionId: number) => invoke<CallReport>("call_report", { sessionId }),
};
