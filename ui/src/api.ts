// The screens' names for the commands and events of the generated bindings (bindings.ts,
// written from the Rust signatures by src-tauri/src/bindings.rs: never edit that file), and
// the error helpers. No type is written here by hand: they all come from bindings.ts.
import type { UnlistenFn } from "@tauri-apps/api/event";
import { commands as c, events as generated } from "./bindings";
import type {
  CommandError,
  FailedPayload,
  LevelPayload,
  MicCheckPhase,
  RehearsalEvent,
  StartedPayload,
  Take,
  TakeReview,
  WorkerEvent,
} from "./bindings";
import { isErrorKind, lang, t, tIn } from "./i18n";

export type {
  AppStatus,
  TranscriptReport,
  ModelOff,
  Story,
  StoryDetail,
  StoryDraft,
  TimeInParts,
  StoryFields,
  StoryGrid,
  ArchiveProgress,
  ArchiveReport,
  Bookmark,
  CommandError,
  DeckSummary,
  InputDevice,
  LibraryRow,
  Marker,
  MarkerKind,
  MetricsProgress,
  PlannedSegment,
  PointMetrics,
  PracticeCmd,
  PracticeOptions,
  PracticePhase,
  Preflight,
  PrincipleLevel,
  PrincipleRow,
  ProgressPoint,
  ProgressScope,
  Question,
  RatingFilter,
  Readiness,
  RecoveryReport,
  RehearsalDetail,
  Rerate,
  Rubric,
  ScheduleRow,
  SessionSummary,
  SpeechMetrics,
  StoredTranscript,
  Take,
  TakePage,
  TakeQuery,
  TakeReview,
  TakeTranscript,
  TemplateSummary,
  TranscriptState,
} from "./bindings";

/** Names the screens used before the bindings were generated. */
export type StartedEvent = StartedPayload;
export type LevelEvent = LevelPayload;
export type FailedEvent = FailedPayload;
export type MicCheckEvent = MicCheckPhase;
export type CallEvent = RehearsalEvent;
export type TranscriptionEvent = WorkerEvent;
/** A take as the review shows it: with its rubric. */
export type ReviewTake = TakeReview["take"];
export type CallReport = Awaited<ReturnType<typeof c.callReport>>;
export type PlaybackControl = Parameters<typeof c.playbackControl>[0];

export const api = {
  appStatus: c.appStatus,
  listQuestions: c.listQuestions,
  listTakes: c.listTakes,
  startRecording: c.startRecording,
  listInputs: c.listInputs,
  setInput: c.setInput,
  listOutputs: c.listOutputs,
  setOutput: c.setOutput,
  micCheck: c.micCheck,
  micListen: c.micListen,
  micListenStop: c.micListenStop,
  listDecks: c.listDecks,
  takeMetrics: c.takeMetrics,
  listSchedule: c.listSchedule,
  importDeck: c.importDeck,
  exportDeck: c.exportDeck,
  setSetting: c.setSetting,
  startPractice: c.startPractice,
  practice: c.practiceCommand,
  rateTake: c.rateTake,
  markBest: c.markBest,
  stopRecording: c.stopRecording,
  playTake: c.playTake,
  stopPlayback: c.stopPlayback,
  deleteTake: c.deleteTake,
};

export const events = {
  onStarted: generated.captureStarted,
  onLevel: generated.captureLevel,
  onFinished: generated.captureFinished,
  onFailed: generated.captureFailed,
  onWarning: generated.captureWarning,
  onSilent: generated.captureSilent,
  onDiskLow: generated.captureDiskLow,
  onMicCheck: generated.miccheck,
  onPractice: generated.practice,
  onPracticeStarted: generated.practiceStarted,
  onPracticeLevel: generated.practiceLevel,
  onPracticeFinished: generated.practiceFinished,
  onPracticeFailed: generated.practiceFailed,
  onPracticeWarning: generated.practiceWarning,
  onPracticeSilent: generated.practiceSilent,
  onPracticeDiskLow: generated.practiceDiskLow,
  onPlayback: generated.playback,
  onCall: generated.call,
  onMetrics: generated.metrics,
  onArchive: generated.archive,
};

/** Kinds of error the interface words itself, in its language (`errors.<kind>`). */
const LOCAL_ERRORS = [
  "archive_running",
  "recording_running",
  // A start refused because something else runs in this window (the engine's activity state).
  "busy_recording",
  "busy_practice",
  "busy_call",
  "busy_mic_check",
  "busy_import",
  "busy_export",
];

/** Plays `takeId`, or stops it when it is the one playing (`playing`); returns the take
 *  playing now (null: none). A failed call throws, as the call did. */
export async function togglePlayback(playing: number | null, takeId: number): Promise<number | null> {
  if (playing === takeId) {
    await api.stopPlayback();
    return null;
  }
  await api.playTake(takeId);
  return takeId;
}

/** Errors from commands arrive as {kind, message}; anything else is shown as text. In Korean
 *  the message is the strings' one for the kind (`kinds.<kind>`), never Rust's English. */
export function errorText(e: unknown): string {
  const kind = errorKind(e);
  if (kind && LOCAL_ERRORS.includes(kind)) return tIn("errors", kind);
  const message = e && typeof e === "object" && "message" in e ? String((e as CommandError).message) : String(e);
  const file = e && typeof e === "object" && "file" in e ? (e as CommandError).file : null;
  return localMessage(kind, message, file);
}

/** Rust's message in English; in Korean, the message for its kind (a generic one if unknown),
 *  naming the file it is about. */
export function localMessage(kind: string | undefined, message: string, file: string | null = null): string {
  if (lang() === "en") return message;
  return kind && isErrorKind(kind) ? tIn("kinds", kind, { file: file ?? t("kinds.aFile") }) : t("kinds.unknown");
}

export function errorKind(e: unknown): string | undefined {
  return e && typeof e === "object" && "kind" in e ? String((e as CommandError).kind) : undefined;
}

export const transcriptApi = {
  take: c.takeTranscript,
  status: c.transcriptionStatus,
  /** Corrects the take's language; true when it will be transcribed again. */
  setLanguage: c.setTakeLanguage,
  /** Makes an outdated or failed transcript again in the background. */
  again: c.transcribeAgain,
  speechSettings: c.speechSettings,
  setSpeechSettings: c.setSpeechSettings,
  onEvent: (f: (e: WorkerEvent) => void): Promise<UnlistenFn> => generated.transcription(f),
};

export const reviewApi = {
  query: c.libraryQuery,
  review: c.takeReview,
  setRubric: c.setRubric,
  setNote: c.setNote,
  addBookmark: c.addBookmark,
  deleteBookmark: c.deleteBookmark,
  rerateCandidates: c.rerateCandidates,
  blindRerate: c.blindRerate,
  readiness: c.readiness,
  principleGrid: c.principleGrid,
  progress: c.progress,
  peaks: c.takePeaks,
  play: (takeId: number, fromMs: number, speed: number, skipSilences = false) => c.playTakeAt(takeId, fromMs, speed, skipSilences),
  silences: c.takeSilences,
  control: c.playbackControl,
  exportTake: c.exportTake,
  exportSession: c.exportSession,
  exportAll: c.exportAll,
  importAll: c.importAll,
};

export const callApi = {
  templates: c.listTemplates,
  importTemplate: c.importTemplate,
  exportTemplate: c.exportTemplate,
  templateText: c.templateText,
  saveTemplateText: c.saveTemplateText,
  preflight: c.callPreflight,
  testVoices: c.testVoices,
  start: c.startCall,
  command: c.callCommand,
  detail: c.callDetail,
  report: c.callReport,
};

/** Kept for the screens that type a take's status. */
export type TakeStatus = Take["status"];

// ---------- the story bank (src-tauri/src/stories.rs) ----------
export const storyApi = {
  list: c.listStories,
  detail: c.storyDetail,
  save: c.saveStory,
  remove: c.deleteStory,
  grid: c.storyGrid,
  saveDraft: (storyId: number | null, baseRevision: number | null, body: unknown) =>
    c.saveStoryDraft(storyId, baseRevision, body as Parameters<typeof c.saveStoryDraft>[2]),
  drafts: c.storyDrafts,
  discardDraft: c.discardStoryDraft,
  pick: c.storyPick,
  callPick: c.storyCallPick,
  /** Stores the story picked for a question of a running call (its take is linked when cut). */
  pickInCall: c.pickCallStory,
  callCueCard: c.storyCallCueCard,
  link: c.linkStoryTake,
  parts: c.storyTakeParts,
  setPart: c.setStoryTakePart,
  comparable: c.comparableTakes,
  /** A story drill: answered on the practice screen (language, seconds per story or null: 120). */
  drill: c.startStoryDrill,
  cueCard: c.storyCueCard,
  setCueCard: (on: boolean) => c.setSetting("story_cue_card", on ? "true" : "false"),
  setCallCueCard: (on: boolean) => c.setSetting("story_cue_card_call", on ? "true" : "false"),
};
