// UI strings in English and Korean (i18next). The chosen language is remembered.
import i18next from "i18next";

const en = {
  app: { title: "Rehearse" },
  questions: { heading: "Questions" },
  stage: { pick: "Pick a question on the left." },
  category: { technical: "Technical", behavioural: "Behavioural" },
  recorder: {
    start: "Start recording",
    stop: "Stop",
    idle: "Not recording",
    starting: "Opening microphone…",
    recording: "Recording",
    saving: "Saving…",
    timeLeft: "Time left",
    hint: "Space starts and stops. Recording stops by itself when the time is up.",
  },
  takes: {
    heading: "Takes",
    none: "No takes yet.",
    play: "Play",
    stopPlay: "Stop",
    delete: "Delete",
    dropped: "{{count}} frames dropped",
    recovered: "recovered",
    damaged: "damaged",
    metrics: "first word {{first}} · speaking {{speaking}} · {{pauses}} long pause(s)",
    noSpeech: "no speech found",
    rated: "rated {{rating}}",
  },
  schedule: { due: "due", leech: "rework this answer", dueCount: "{{count}} due for review" },
  practice: {
    open: "Practice",
    setupTitle: "Practice session",
    deck: "Deck",
    category: "Category",
    tag: "Tag or principle",
    any: "Any",
    count: "Questions",
    order: "Order",
    inOrder: "In order",
    shuffled: "Shuffled",
    dueFirst: "Due for review first",
    language: "Questions in",
    overtime: "Overtime: keep recording past the limit",
    matching: "{{count}} question(s) match.",
    back: "Back",
    import: "Import deck…",
    export: "Export deck…",
    imported: "Imported deck \"{{id}}\": {{added}} added, {{updated}} updated, {{retired}} retired.",
    exported: "Exported deck \"{{id}}\" to {{path}}.",
    start: "Start (Enter)",
    progress: "Question {{n}} of {{total}}",
    take: "Take {{n}} of {{max}}",
    think: "Think",
    starting: "Starting…",
    answer: "Recording",
    review: "Review",
    error: "Problem",
    overrun: "+{{time}} over",
    hintThink: "Think about your answer. Recording starts by itself — Space starts it now.",
    hintAnswer: "Answer out loud. Space stops early.",
    hintReview: "Rate yourself with 1–4, then Enter or Space for the next question.",
    keyPoints: "Key points",
    best: "Mark as best",
    isBest: "Best take ✓",
    retake: "Retake ({{left}} left)",
    noRetake: "No retakes left",
    next: "Next",
    finish: "Finish",
    summaryTitle: "Session summary",
    summaryLine: "{{questions}} question(s), {{takes}} take(s), {{time}} recorded.",
    colQuestion: "Question",
    colTakes: "Takes",
    colDuration: "Duration",
    colRating: "Rating",
    done: "Done (Enter)",
  },
  rating: { again: "Again", hard: "Hard", good: "Good", easy: "Easy", none: "–" },
  help: {
    title: "Keyboard shortcuts",
    rows: [
      ["↑ / ↓", "Choose a question or deck"],
      ["Space", "Record / stop; in practice: skip think time, stop the answer, go on"],
      ["S", "Start a practice session"],
      ["1 2 3 4", "Rate the take: Again, Hard, Good, Easy"],
      ["B", "Mark the take as your best"],
      ["R", "Retake the question"],
      ["Enter", "Start / next question"],
      ["Esc", "Close, or end the practice session"],
      ["P", "Play the latest take"],
      ["Delete", "Delete the latest take (asks first)"],
      ["M", "Microphone check"],
      ["L", "Switch English / Korean"],
      ["I / E", "Import / export a deck (practice setup)"],
      ["?", "This list"],
    ],
  },
  mic: {
    open: "Mic check",
    title: "Microphone check",
    device: "Input device",
    systemDefault: "System default",
    idle: "Speak after pressing the button: 3 seconds are recorded, then played back.",
    test: "Record 3 s and play back",
    close: "Close",
    recording: "Recording… {{s}} s",
    playing: "Playing back…",
    done: "Done. Loudest peak {{db}} dBFS: {{verdict}}",
    good: "a good level.",
    quiet: "too quiet; move closer or raise the input volume.",
    loud: "too loud; it may clip.",
    failed: "The check failed: {{message}}",
  },
  warn: {
    deviceGone: "The microphone \"{{name}}\" is not connected; recording from the system default instead.",
    silent: "No input: the microphone has been silent for {{seconds}} s. Check that it is connected and not muted. (Still recording.)",
    diskLow: "Disk space is low: about {{time}} of recording left.",
    recovered: "Recovered {{count}} take(s) ({{seconds}} s) that were being recorded when Rehearse last stopped unexpectedly.",
    damaged: "{{count}} take file(s) could not be read and were kept aside: {{files}}",
  },
  confirm: {
    deleteTake: "Delete the take from {{when}} ({{duration}})? The recording will be removed from disk.",
    cancel: "Cancel",
    delete: "Delete",
  },
  status: { data: "Data: {{dir}}", saved: "Saved take {{id}} ({{duration}})" },
  errors: {
    noMic: "No microphone could be opened: {{message}}",
    failed: "Recording stopped: {{message}}",
    library: "The library could not be opened: {{message}}",
  },
  footer: { keys: "↑/↓ choose a question · Space record/stop · P play latest · Delete remove latest · S practice · M mic check · L language · ? shortcuts" },
};

const ko: typeof en = {
  app: { title: "Rehearse" },
  questions: { heading: "질문" },
  stage: { pick: "왼쪽에서 질문을 고르세요." },
  category: { technical: "기술", behavioural: "행동" },
  recorder: {
    start: "녹음 시작",
    stop: "정지",
    idle: "녹음 중 아님",
    starting: "마이크 여는 중…",
    recording: "녹음 중",
    saving: "저장 중…",
    timeLeft: "남은 시간",
    hint: "스페이스 키로 시작하고 멈춥니다. 시간이 다 되면 자동으로 멈춥니다.",
  },
  takes: {
    heading: "녹음",
    none: "아직 녹음이 없습니다.",
    play: "재생",
    stopPlay: "정지",
    delete: "삭제",
    dropped: "프레임 {{count}}개 누락",
    recovered: "복구됨",
    damaged: "손상됨",
    metrics: "첫 단어 {{first}} · 발화 {{speaking}} · 긴 멈춤 {{pauses}}회",
    noSpeech: "말소리가 없습니다",
    rated: "평가: {{rating}}",
  },
  schedule: { due: "복습", leech: "답변을 다시 다듬으세요", dueCount: "복습할 질문 {{count}}개" },
  practice: {
    open: "연습",
    setupTitle: "연습 세션",
    deck: "덱",
    category: "분류",
    tag: "태그 또는 원칙",
    any: "전체",
    count: "질문 수",
    order: "순서",
    inOrder: "차례대로",
    shuffled: "무작위",
    dueFirst: "복습할 질문 먼저",
    language: "질문 언어",
    overtime: "시간 초과 허용: 제한 시간이 지나도 계속 녹음",
    matching: "질문 {{count}}개가 해당됩니다.",
    back: "뒤로",
    import: "덱 가져오기…",
    export: "덱 내보내기…",
    imported: "덱 \"{{id}}\"을(를) 가져왔습니다: 추가 {{added}}, 변경 {{updated}}, 보관 {{retired}}.",
    exported: "덱 \"{{id}}\"을(를) {{path}}에 내보냈습니다.",
    start: "시작 (Enter)",
    progress: "질문 {{n}} / {{total}}",
    take: "녹음 {{n}} / {{max}}",
    think: "생각",
    starting: "시작 중…",
    answer: "녹음 중",
    review: "돌아보기",
    error: "문제",
    overrun: "+{{time}} 초과",
    hintThink: "답을 생각해 보세요. 녹음은 자동으로 시작됩니다 — 스페이스를 누르면 바로 시작합니다.",
    hintAnswer: "소리 내어 답하세요. 스페이스를 누르면 일찍 멈춥니다.",
    hintReview: "1–4로 스스로 평가한 뒤 Enter나 스페이스로 다음 질문으로 넘어갑니다.",
    keyPoints: "핵심 포인트",
    best: "최고 답변으로 표시",
    isBest: "최고 답변 ✓",
    retake: "다시 녹음 ({{left}}번 남음)",
    noRetake: "다시 녹음 불가",
    next: "다음",
    finish: "마치기",
    summaryTitle: "세션 요약",
    summaryLine: "질문 {{questions}}개, 녹음 {{takes}}개, 총 {{time}} 녹음.",
    colQuestion: "질문",
    colTakes: "녹음",
    colDuration: "길이",
    colRating: "평가",
    done: "완료 (Enter)",
  },
  rating: { again: "다시", hard: "어려움", good: "좋음", easy: "쉬움", none: "–" },
  help: {
    title: "단축키",
    rows: [
      ["↑ / ↓", "질문 또는 덱 선택"],
      ["스페이스", "녹음 / 정지; 연습 중: 생각 시간 건너뛰기, 답변 정지, 다음으로"],
      ["S", "연습 세션 시작"],
      ["1 2 3 4", "평가: 다시, 어려움, 좋음, 쉬움"],
      ["B", "최고 답변으로 표시"],
      ["R", "다시 녹음"],
      ["Enter", "시작 / 다음 질문"],
      ["Esc", "닫기 또는 연습 세션 끝내기"],
      ["P", "최근 녹음 재생"],
      ["Delete", "최근 녹음 삭제 (확인 후)"],
      ["M", "마이크 점검"],
      ["L", "영어 / 한국어 전환"],
      ["I / E", "덱 가져오기 / 내보내기 (연습 설정)"],
      ["?", "이 목록"],
    ],
  },
  mic: {
    open: "마이크 점검",
    title: "마이크 점검",
    device: "입력 장치",
    systemDefault: "시스템 기본값",
    idle: "버튼을 누른 뒤 말해 보세요. 3초를 녹음한 뒤 다시 들려 줍니다.",
    test: "3초 녹음 후 재생",
    close: "닫기",
    recording: "녹음 중… {{s}}초",
    playing: "재생 중…",
    done: "완료. 최대 피크 {{db}} dBFS: {{verdict}}",
    good: "적절한 음량입니다.",
    quiet: "너무 작습니다. 마이크에 가까이 가거나 입력 음량을 높이세요.",
    loud: "너무 큽니다. 소리가 찌그러질 수 있습니다.",
    failed: "점검에 실패했습니다: {{message}}",
  },
  warn: {
    deviceGone: "마이크 \"{{name}}\"이(가) 연결되어 있지 않아 시스템 기본 마이크로 녹음합니다.",
    silent: "입력 없음: 마이크에서 {{seconds}}초 동안 소리가 들어오지 않았습니다. 연결과 음소거 상태를 확인하세요. (녹음은 계속됩니다.)",
    diskLow: "디스크 공간이 부족합니다: 약 {{time}} 더 녹음할 수 있습니다.",
    recovered: "Rehearse가 예기치 않게 종료될 때 녹음 중이던 답변 {{count}}개({{seconds}}초)를 복구했습니다.",
    damaged: "읽을 수 없는 녹음 파일 {{count}}개를 따로 보관했습니다: {{files}}",
  },
  confirm: {
    deleteTake: "{{when}}에 녹음한 답변({{duration}})을 삭제할까요? 디스크에서 파일이 지워집니다.",
    cancel: "취소",
    delete: "삭제",
  },
  status: { data: "데이터: {{dir}}", saved: "녹음 {{id}} 저장됨 ({{duration}})" },
  errors: {
    noMic: "마이크를 열 수 없습니다: {{message}}",
    failed: "녹음이 멈췄습니다: {{message}}",
    library: "라이브러리를 열 수 없습니다: {{message}}",
  },
  footer: { keys: "↑/↓ 질문 선택 · 스페이스 녹음/정지 · P 최근 녹음 재생 · Delete 최근 녹음 삭제 · S 연습 · M 마이크 점검 · L 언어 · ? 단축키" },
};

export type Lang = "en" | "ko";

/** Without a remembered choice: the system's language. */
export function initialLang(): Lang {
  return navigator.language.toLowerCase().startsWith("ko") ? "ko" : "en";
}

export async function initI18n(saved?: string | null): Promise<void> {
  await i18next.init({
    lng: saved === "en" || saved === "ko" ? saved : initialLang(),
    fallbackLng: "en",
    // Strings are set with textContent, never as HTML: no escaping needed (it would show "&#x2F;").
    interpolation: { escapeValue: false },
    resources: { en: { translation: en }, ko: { translation: ko } } });
}

/** Switches the interface language; `remember` stores it (in the library's settings). */
export async function setLang(lang: Lang, remember?: (lang: Lang) => Promise<void>): Promise<void> {
  await i18next.changeLanguage(lang);
  if (remember) await remember(lang).catch(() => undefined);
}

export function lang(): Lang {
  return i18next.language === "ko" ? "ko" : "en";
}

export const t = (key: string, opts?: Record<string, unknown>): string => i18next.t(key, opts ?? {});

/** A translated array (e.g. the rows of the shortcut list). */
export const tRows = (key: string): string[][] => i18next.t(key, { returnObjects: true }) as unknown as string[][];

/** Fills every element carrying data-i18n with its translation. */
export function translateStatic(root: ParentNode = document): void {
  root.querySelectorAll<HTMLElement>("[data-i18n]").forEach((el) => {
    el.textContent = t(el.dataset.i18n as string);
  });
  document.documentElement.lang = lang();
}
