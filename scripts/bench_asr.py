#!/usr/bin/env python3
"""bench_asr.py — the Python half of scripts/bench-asr.sh.

  bench_asr.py fw CT2_DIR COMPUTE_TYPE THREADS LANG WAV   faster-whisper on one clip: one JSON line
                                                          (same fields as the Rust bench-asr)
  bench_asr.py report RESULTS.jsonl                       the table (markdown) from all runs

faster-whisper runs with the settings rehearse-speech uses: the language given, greedy decoding
(beam 1) with Whisper's temperature fallback, Silero VAD, word timestamps, no conditioning on
previous text, the same short disfluent prompt, the same number of threads.
"""

import json
import re
import sys
import time
import unicodedata

PROMPTS = {"en": "Um, uh, hmm.", "ko": "음, 어, 그."}

# What each clip says, and which fillers it says (for the fillers-kept count).
REFERENCES = {
    "two_cities": (
        "en",
        "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of "
        "foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, "
        "it was the season of Darkness, it was the spring of hope, it was the winter of despair, we had "
        "everything before us, we had nothing before us, we were all going direct to Heaven, we were all going "
        "direct the other way",
        {},
    ),
    "beckett": ("en", "Ever tried. Ever failed. No matter. Try again. Fail again. Fail better.", {}),
    "espeak_en": (
        "en",
        None,  # filled from the clip's own text by bench-asr.sh (ESPEAK_EN below)
        {"um": 2, "uh": 2, "hmm": 1},
    ),
    "espeak_ko": ("ko", None, {"음": 2, "어": 1}),
}

ESPEAK_EN = (
    "Um, so the nightly report failed with a snapshot too old error. Uh, I looked at the undo retention, "
    "and it was, um, only fifteen minutes. Hmm. I raised it to three hours, uh, and sized the undo tablespace "
    "to match, and the report has run cleanly since."
)
ESPEAK_KO = "음, 야간 보고서가 실패했습니다. 어, 그래서 언두 보존 기간을 확인했고, 음, 세 시간으로 늘렸습니다."


def fw(ct2_dir, compute_type, threads, language, wav):
    t0 = time.perf_counter()
    from faster_whisper import WhisperModel
    from faster_whisper.audio import decode_audio

    model = WhisperModel(ct2_dir, device="cpu", compute_type=compute_type, cpu_threads=int(threads), num_workers=1)
    load_s = time.perf_counter() - t0
    audio = decode_audio(wav, sampling_rate=16000)
    audio_s = len(audio) / 16000
    t = time.perf_counter()
    segments, _ = model.transcribe(
        wav,
        language=language,
        beam_size=1,
        best_of=5,
        temperature=[0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
        vad_filter=True,
        word_timestamps=True,
        condition_on_previous_text=False,
        initial_prompt=PROMPTS.get(language),
    )
    text = " ".join(s.text.strip() for s in segments)
    secs = time.perf_counter() - t
    print(json.dumps({"file": wav, "audio_s": audio_s, "load_s": load_s, "transcribe_s": secs, "rtf": secs / audio_s, "text": text}, ensure_ascii=False))


def words(text):
    text = unicodedata.normalize("NFC", text).lower()
    return [w for w in (re.sub(r"[^\w']", "", w).strip("'") for w in text.split()) if w]


def distance(a, b):
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a):
        cur = [i + 1]
        for j, y in enumerate(b):
            cur.append(min(prev[j] + (x != y), prev[j + 1] + 1, cur[j] + 1))
        prev = cur
    return prev[-1]


def wer(ref, hyp):
    r, h = words(ref), words(hyp)
    return distance(r, h) / len(r)


def cer(ref, hyp):
    chars = lambda t: [c for c in unicodedata.normalize("NFC", t) if c.isalnum()]
    r, h = chars(ref), chars(hyp)
    return distance(r, h) / len(r)


def fillers_kept(expected, hyp):
    ws = words(hyp)
    variants = {"um": {"um", "umm", "uhm"}, "uh": {"uh", "uhh"}, "hmm": {"hmm", "hm", "hmmm"}, "음": {"음"}, "어": {"어"}}
    kept = sum(min(n, sum(1 for w in ws if w in variants[f])) for f, n in expected.items())
    return kept, sum(expected.values())


def clip_name(path):
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def report(path):
    rows = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
    engines = []
    for r in rows:
        if r["engine"] not in engines:
            engines.append(r["engine"])
    print("| clip | engine | error | fillers kept | RTF | load s | peak RSS MB | text (start) |")
    print("|---|---|---|---|---|---|---|---|")
    summary = {}
    for r in rows:
        name = clip_name(r["file"])
        lang, ref, fill = REFERENCES[name]
        ref = ref or (ESPEAK_EN if name == "espeak_en" else ESPEAK_KO)
        hyp = r["text"]
        if name == "two_cities":
            # The clip reads on past the reference: score up to its last words.
            i = hyp.lower().find("other way")
            hyp = hyp[: i + len("other way")] if i >= 0 else hyp
        err = f"WER {wer(ref, hyp):.1%}" if lang == "en" else f"CER {cer(ref, hyp):.1%}"
        fk = "–"
        if fill:
            k, n = fillers_kept(fill, r["text"])
            fk = f"{k} of {n}"
        s = summary.setdefault(r["engine"], {"audio": 0.0, "secs": 0.0, "load": [], "rss": []})
        s["audio"] += r["audio_s"]
        s["secs"] += r["transcribe_s"]
        s["load"].append(r["load_s"])
        s["rss"].append(r["rss_mb"])
        text = r["text"][:60].replace("|", "/")
        print(f"| {name} | {r['engine']} | {err} | {fk} | {r['rtf']:.3f} | {r['load_s']:.2f} | {r['rss_mb']:.0f} | {text}… |")
    print()
    print("| engine | RTF over all clips | load s (median) | peak RSS MB (max) |")
    print("|---|---|---|---|")
    for e in engines:
        s = summary[e]
        load = sorted(s["load"])[len(s["load"]) // 2]
        print(f"| {e} | {s['secs'] / s['audio']:.3f} | {load:.2f} | {max(s['rss']):.0f} |")
    base = engines[0]
    print()
    for e in engines[1:]:
        a, b = summary[base], summary[e]
        print(
            f"{base} / {e}: time {a['secs'] / b['secs']:.2f}x, load {sorted(a['load'])[len(a['load']) // 2] / sorted(b['load'])[len(b['load']) // 2]:.2f}x, "
            f"peak RSS {max(a['rss']) / max(b['rss']):.2f}x (below 1 = {base} is faster / smaller)"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["fw"] and len(sys.argv) == 7:
        fw(*sys.argv[2:])
    elif sys.argv[1:2] == ["report"] and len(sys.argv) == 3:
        report(sys.argv[2])
    elif sys.argv[1:2] == ["text"] and len(sys.argv) == 3:
        print(ESPEAK_EN if sys.argv[2] == "en" else ESPEAK_KO)
    else:
        sys.exit(__doc__)
