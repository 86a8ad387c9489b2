#!/usr/bin/env python3
"""bench_record.py — the measuring half of scripts/bench-record.sh (run that, not this).

Expects a running virtual microphone (PULSE_SERVER / ALSA_CONFIG_PATH in the environment,
speech looping into it) and a release rehearse-cli. Runs four measurements, each in its
own data folder under --work, prints a table and, with --json FILE, saves the raw figures:

  1. side by side: `rehearse-cli record --seconds S` and `parecord` at the same time on the
     same microphone; CPU time (user + system) of each from wait4's rusage, peak RSS from
     VmHWM in /proc/PID/status, polled every 20 ms until the child exits;
  2. a long take of L seconds: the recorder's VmRSS from /proc/PID/status every 5 s;
  3. start latency: first_sample_ms from the JSON of several short takes;
  4. SIGKILL: K recordings killed 1-5 s (seeded pseudo-random) after "recording from",
     then `recover`; loss = elapsed since the line - seconds kept in the recovered WAV.

Every child is started in its own session and is killed (by its PID) if this script is
interrupted or fails.
"""
import argparse
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import wave

QUESTION = "db.ora-01555"
RSS_EVERY = 5.0  # seconds between VmRSS samples in the long take
HWM_EVERY = 0.02  # seconds between polls of every child's VmHWM (its peak RSS)
THREADS_EVERY = 25  # per-thread CPU times are read every 25th poll (0.5 s)

GOAL_CPU_RATIO = 1.5
GOAL_RSS_GROWTH_MB = 2.0
GOAL_FIRST_SAMPLE_MS = 50.0
GOAL_KILL_LOSS_S = 0.7

CHILDREN = []  # every Proc started; killed on the way out if still running
ATTEMPT = [0]  # counts measurement attempts (each gets its own data folder)
TRIES = 3  # a measurement whose recording fails (e.g. stopped early) is retried, and said so


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def mb(kib):
    """kB as /proc and rusage count them (KiB) -> MB (10^6 bytes)."""
    return kib * 1024 / 1e6


class Proc:
    """A child with stdout and stderr drained by threads; stderr lines are timestamped."""

    def __init__(self, argv, name):
        self.name = name
        self.argv = argv
        self.t_spawn = time.monotonic()
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, start_new_session=True)
        self.pid = self.p.pid
        self.reaped = False
        self.out = []
        self.err = []  # (monotonic time, line)
        self.cond = threading.Condition()
        self.threads = [threading.Thread(target=self._drain, args=(self.p.stdout, False), daemon=True),
                        threading.Thread(target=self._drain, args=(self.p.stderr, True), daemon=True)]
        # Peak RSS = the child's VmHWM, polled: wait4's ru_maxrss also counts the RSS of the
        # forked copy of this Python process before exec (~17 MB), which hides the real figure.
        self.hwm_kib = 0
        self.thread_cpu = {}  # thread name -> CPU seconds, as of the last poll (every 0.5 s)
        self.threads.append(threading.Thread(target=self._watch_hwm, daemon=True))
        for t in self.threads:
            t.start()
        CHILDREN.append(self)

    def _watch_hwm(self):
        n = 0
        while not self.exited():
            st = read_status(self.pid)
            if st is not None:
                self.hwm_kib = max(self.hwm_kib, st["VmHWM"])
            if n % THREADS_EVERY == 0:
                self.thread_cpu = thread_cpu(self.pid) or self.thread_cpu
            n += 1
            time.sleep(HWM_EVERY)

    def _drain(self, stream, is_err):
        for raw in iter(stream.readline, b""):
            now = time.monotonic()
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.cond:
                (self.err.append((now, line)) if is_err else self.out.append(line))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_line(self, needle, timeout):
        """Monotonic time at which a stderr line containing `needle` was read."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, line in self.err:
                    if needle in line:
                        return t
                left = deadline - time.monotonic()
                if left <= 0 or (self.exited() and not any(t.is_alive() for t in self.threads)):
                    raise RuntimeError(f"{self.name}: no '{needle}' line within {timeout} s; stderr:\n"
                                       + self.stderr_text())
                self.cond.wait(min(left, 0.05))

    def exited(self):
        """Has the child exited? Does not reap it (its rusage stays available)."""
        if self.reaped:
            return True
        try:
            info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return True
        return info is not None

    def signal(self, sig):
        if not self.reaped:
            os.kill(self.pid, sig)

    def wait_rusage(self, timeout):
        """Reaps the child; returns (exit code, CPU seconds user+system from rusage, peak RSS KiB)."""
        deadline = time.monotonic() + timeout
        while True:
            pid, status, ru = os.wait4(self.pid, os.WNOHANG)
            if pid == self.pid:
                break
            if time.monotonic() > deadline:
                self.signal(signal.SIGKILL)
                os.wait4(self.pid, 0)
                self.reaped = True
                raise RuntimeError(f"{self.name} did not exit within {timeout} s; killed. stderr:\n"
                                   + self.stderr_text())
            time.sleep(0.01)
        self.reaped = True
        self.p.returncode = os.waitstatus_to_exitcode(status)
        for t in self.threads:
            t.join(5)
        return self.p.returncode, ru.ru_utime + ru.ru_stime, self.hwm_kib

    def stdout_text(self):
        with self.cond:
            return "\n".join(self.out)

    def stderr_text(self):
        with self.cond:
            return "\n".join(line for _, line in self.err)

    def kill_if_running(self):
        if self.reaped:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.wait4(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        self.reaped = True


def data_dir(args, name):
    """A fresh data folder per measurement and per attempt."""
    return os.path.join(args.work, f"{name}-{ATTEMPT[0]}")


def cli(args, *rest):
    return [args.cli, "--data-dir", data_dir(args, rest[0])] + list(rest[1:])


def run_cli(args, *rest):
    out = subprocess.run(cli(args, *rest), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(rest[1:])} failed ({out.returncode}): {out.stderr.strip()}")
    return out


def sleep_until(t):
    d = t - time.monotonic()
    if d > 0:
        time.sleep(d)


def wav_seconds(path):
    """Seconds of audio in a WAV: from the header if it is readable, else from the size."""
    try:
        with wave.open(path, "rb") as w:
            n, rate = w.getnframes(), w.getframerate()
            if n > 0:
                return n / rate, rate
    except (wave.Error, EOFError, OSError):
        pass
    size = os.path.getsize(path)
    return max(size - 44, 0) / 2 / 48000, 48000


def parse_record_json(proc, what):
    try:
        return json.loads(proc.stdout_text())
    except json.JSONDecodeError:
        raise RuntimeError(f"{what}: no JSON on stdout; stderr:\n{proc.stderr_text()}") from None


# ------------------------------------------------------------------ measurements


def side_by_side(args):
    s = args.seconds
    log(f"side by side: rehearse-cli record --seconds {s} and parecord on the same microphone ...")
    os.makedirs(os.path.join(args.work, "pr"), exist_ok=True)
    pr_wav = os.path.join(args.work, "pr", "parecord.wav")
    rec = Proc(cli(args, "data-sbs", "record", "--question", QUESTION, "--seconds", str(s), "--json"), "rehearse-cli")
    pr = Proc(["parecord", "--device=vmic", "--rate=48000", "--channels=1", "--format=s16le",
               "--file-format=wav", pr_wav], "parecord")
    t_line = rec.wait_line("recording from", 15)
    # parecord started at about the same time; stop it S s after rehearse's first samples so
    # that both hold about S s of audio.
    sleep_until(t_line + s)
    pr.signal(signal.SIGINT)
    rc_rec, cpu_rec, rss_rec = rec.wait_rusage(30)
    rc_pr, cpu_pr, rss_pr = pr.wait_rusage(30)
    if rc_rec != 0:
        raise RuntimeError(f"rehearse-cli record exited {rc_rec}: {rec.stderr_text()}")
    if rc_pr not in (0, 1, -2, 130):
        raise RuntimeError(f"parecord exited {rc_pr}: {pr.stderr_text()}")
    j = parse_record_json(rec, "record")
    rec_audio = j["take"]["duration_ms"] / 1000
    pr_audio, _ = wav_seconds(pr_wav)
    r = {
        "seconds": s,
        "rehearse": {"cpu_s": cpu_rec, "peak_rss_kib": rss_rec, "audio_s": rec_audio,
                     "dropped_frames": j.get("dropped_frames"), "first_sample_ms": j.get("first_sample_ms"),
                     "wall_s": time.monotonic() - rec.t_spawn},
        "parecord": {"cpu_s": cpu_pr, "peak_rss_kib": rss_pr, "audio_s": pr_audio},
        "rehearse_threads_cpu_s": rec.thread_cpu,
    }
    r["cpu_ratio"] = cpu_rec / cpu_pr if cpu_pr > 0 else float("inf")
    log(f"  rehearse-cli {cpu_rec:.3f} s CPU, peak RSS {mb(rss_rec):.1f} MB, {rec_audio:.2f} s audio; "
        f"parecord {cpu_pr:.3f} s CPU, peak RSS {mb(rss_pr):.1f} MB, {pr_audio:.2f} s audio")
    return r


MEM_FIELDS = ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem")


def read_status(pid):
    """{VmRSS, VmHWM, RssAnon, RssFile, RssShmem} in KiB, or None once the process is gone
    or a zombie. VmRSS = RssAnon (heap, stacks) + RssFile (mapped files: code, libraries)
    + RssShmem (shared memory: PulseAudio's audio transport pool)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return {k: int(fields[k].split()[0]) for k in MEM_FIELDS}
    except (OSError, KeyError, ValueError):
        return None


def thread_cpu(pid):
    """{thread name: user+system CPU seconds} from /proc/PID/task/*/stat."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return {}
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                st = f.read()
        except OSError:
            continue
        name = st[st.index("(") + 1:st.rindex(")")]
        fields = st[st.rindex(")") + 2:].split()
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def long_take(args):
    length = args.long_seconds
    log(f"long take: record --seconds {length}, VmRSS every {RSS_EVERY:.0f} s, parecord alongside as a control ...")
    rec = Proc(cli(args, "data-long", "record", "--question", QUESTION, "--seconds", str(length), "--json"), "rehearse-cli")
    # A plain libpulse client on the same microphone for the same time: tells whether a
    # growth of shared memory comes from the sound server's pool rather than from Rehearse.
    ctl_wav = os.path.join(data_dir(args, "parecord-long"), "control.wav")
    os.makedirs(os.path.dirname(ctl_wav), exist_ok=True)
    ctl = Proc(["parecord", "--device=vmic", "--rate=48000", "--channels=1", "--format=s16le",
                "--file-format=wav", ctl_wav], "parecord (control)")
    samples = []  # (seconds since spawn, read_status() of the recorder, of the control)
    k = 1
    while True:
        due = rec.t_spawn + k * RSS_EVERY
        while time.monotonic() < due and not rec.exited():
            time.sleep(min(0.05, max(0.0, due - time.monotonic())))
        if rec.exited():
            break
        st, cst = read_status(rec.pid), read_status(ctl.pid)
        if st is None:
            break
        samples.append((time.monotonic() - rec.t_spawn, st, cst))
        if k % 12 == 0:
            log(f"  {samples[-1][0]:.0f} s: VmRSS {mb(st['VmRSS']):.2f} MB (anon {mb(st['RssAnon']):.2f}, "
                f"file {mb(st['RssFile']):.2f}, shmem {mb(st['RssShmem']):.2f})"
                + (f"; parecord {mb(cst['VmRSS']):.2f} MB (shmem {mb(cst['RssShmem']):.2f})" if cst else ""))
        k += 1
    ctl.signal(signal.SIGINT)
    rc, cpu, peak = rec.wait_rusage(60)
    _, ctl_cpu, _ = ctl.wait_rusage(30)
    try:
        os.unlink(ctl_wav)
    except OSError:
        pass
    if rc != 0:
        raise RuntimeError(f"long take: record exited {rc}: {rec.stderr_text()}")
    j = parse_record_json(rec, "long take")
    if len(samples) < 2:
        raise RuntimeError("long take: fewer than two RSS samples (is --long-seconds at least 15?)")
    at10 = min(samples, key=lambda x: abs(x[0] - 10.0))
    half = min(samples, key=lambda x: abs(x[0] - length / 2))
    end = samples[-1]
    kinds = ("RssAnon", "RssFile", "RssShmem")
    r = {
        "seconds": length,
        "samples": [dict(t_s=round(t, 2), **st, control=c) for t, st, c in samples],
        "rss_at_10s_kib": at10[1]["VmRSS"], "rss_at_10s_t": at10[0],
        "rss_end_kib": end[1]["VmRSS"], "rss_end_t": end[0],
        "rss_max_sampled_kib": max(x[1]["VmRSS"] for x in samples),
        "growth_kib": end[1]["VmRSS"] - at10[1]["VmRSS"],
        "growth_by_kind_kib": {k: end[1][k] - at10[1][k] for k in kinds},
        "growth_second_half_kib": end[1]["VmRSS"] - half[1]["VmRSS"], "half_t": half[0],
        "at_10s": at10[1], "at_end": end[1],
        "peak_rss_kib": peak, "cpu_s": cpu,
        "audio_s": j["take"]["duration_ms"] / 1000, "dropped_frames": j.get("dropped_frames"),
        "first_sample_ms": j.get("first_sample_ms"),
        "control_cpu_s": ctl_cpu,
    }
    if at10[2] and end[2]:
        r["control_growth_kib"] = end[2]["VmRSS"] - at10[2]["VmRSS"]
        r["control_growth_by_kind_kib"] = {k: end[2][k] - at10[2][k] for k in kinds}
    log(f"  VmRSS {mb(r['rss_at_10s_kib']):.2f} MB at {at10[0]:.0f} s, {mb(r['rss_end_kib']):.2f} MB at {end[0]:.0f} s "
        f"(growth {mb(r['growth_kib']):+.3f} MB); {cpu:.2f} s CPU for {r['audio_s']:.1f} s audio")
    return r


def first_samples(args):
    n = args.first_runs
    log(f"start latency: {n} short takes (record --seconds 1 --json) ...")
    runs = []
    for i in range(n):
        rec = Proc(cli(args, "data-first", "record", "--question", QUESTION, "--seconds", "1", "--json"), "rehearse-cli")
        t_line = rec.wait_line("recording from", 15)
        rc, _, _ = rec.wait_rusage(30)
        if rc != 0:
            raise RuntimeError(f"short take {i + 1}: record exited {rc}: {rec.stderr_text()}")
        j = parse_record_json(rec, "short take")
        runs.append({"first_sample_ms": j["first_sample_ms"], "spawn_to_line_ms": (t_line - rec.t_spawn) * 1000})
        time.sleep(0.3)
    ms = [r["first_sample_ms"] for r in runs]
    wall = [r["spawn_to_line_ms"] for r in runs]
    r = {"runs": runs, "median_ms": statistics.median(ms), "max_ms": max(ms),
         "spawn_to_line_median_ms": statistics.median(wall), "spawn_to_line_max_ms": max(wall)}
    log(f"  first_sample_ms {ms}; process start -> 'recording from' line "
        f"{[round(w) for w in wall]} ms")
    return r


def kills(args):
    k = args.kills
    rng = random.Random(args.seed)
    log(f"SIGKILL: {k} recordings killed 1-5 s after 'recording from' (seed {args.seed}) ...")
    runs = []
    for i in range(k):
        delay = rng.uniform(1.0, 5.0)
        rec = Proc(cli(args, "data-kill", "record", "--question", QUESTION), "rehearse-cli")
        t_line = rec.wait_line("recording from", 15)
        sleep_until(t_line + delay)
        rec.signal(signal.SIGKILL)
        elapsed = time.monotonic() - t_line
        rc, _, _ = rec.wait_rusage(10)
        runs.append({"delay_s": delay, "elapsed_s": elapsed, "exit": rc})
        time.sleep(0.3)
    out = run_cli(args, "data-kill", "recover", "--json")
    rep = json.loads(out.stdout)
    takes = json.loads(run_cli(args, "data-kill", "takes", "--json").stdout)
    takes.sort(key=lambda t: t["started_at"])
    if len(takes) != k:
        raise RuntimeError(f"SIGKILL: {k} recordings killed but {len(takes)} takes listed after recover")
    data = data_dir(args, "data-kill")
    for run, take in zip(runs, takes):
        kept_file, rate = wav_seconds(os.path.join(data, take["file_path"]))
        run.update({"take_id": take["id"], "status": take.get("status"), "kept_s": kept_file,
                    "row_s": take["duration_ms"] / 1000, "loss_s": run["elapsed_s"] - kept_file})
    r = {"seed": args.seed, "runs": runs, "max_loss_s": max(x["loss_s"] for x in runs),
         "recovered_by_last_recover": len(rep.get("report", {}).get("recovered", []))}
    for i, x in enumerate(runs, 1):
        log(f"  kill {i}: elapsed {x['elapsed_s']:.2f} s, kept {x['kept_s']:.2f} s, lost {x['loss_s']:.2f} s")
    return r


def attempt(fn, args, key, incidents):
    """Runs a measurement; if a recording fails, says why and tries again (TRIES in all)."""
    for i in range(1, TRIES + 1):
        ATTEMPT[0] += 1
        try:
            return fn(args)
        except RuntimeError as e:
            for c in CHILDREN:
                c.kill_if_running()
            first = str(e).strip().splitlines()
            incidents.append({"measurement": key, "attempt": i, "error": str(e)})
            log(f"{key}: attempt {i} of {TRIES} failed: " + " / ".join(first[-3:]))
            if i == TRIES:
                raise
            time.sleep(2)


# ------------------------------------------------------------------ report


def verdict(ok):
    return "PASS" if ok else "OVER GOAL"


def table(res):
    sbs, lt, fs, kl = res["side_by_side"], res["long_take"], res["first_sample"], res["kills"]
    s = sbs["seconds"]
    rows = [
        (f"CPU time, rehearse-cli record, {s} s take", f"{sbs['rehearse']['cpu_s']:.3f} s "
         f"({100 * sbs['rehearse']['cpu_s'] / s:.1f} % of a core)", "", ""),
        (f"CPU time, parecord, same {s} s, same mic", f"{sbs['parecord']['cpu_s']:.3f} s "
         f"({100 * sbs['parecord']['cpu_s'] / s:.1f} % of a core)", "", ""),
        ("CPU time ratio rehearse-cli / parecord", f"{sbs['cpu_ratio']:.2f}x", f"<= {GOAL_CPU_RATIO}x",
         verdict(sbs["cpu_ratio"] <= GOAL_CPU_RATIO)),
        ("Peak RSS, rehearse-cli record", f"{mb(sbs['rehearse']['peak_rss_kib']):.1f} MB", "", ""),
        ("Peak RSS, parecord", f"{mb(sbs['parecord']['peak_rss_kib']):.1f} MB", "", ""),
        (f"VmRSS at {lt['rss_at_10s_t']:.0f} s of a {lt['seconds']} s take", f"{mb(lt['rss_at_10s_kib']):.2f} MB", "", ""),
        (f"VmRSS at the end ({lt['rss_end_t']:.0f} s)", f"{mb(lt['rss_end_kib']):.2f} MB", "", ""),
        ("VmRSS growth, 10 s -> end", f"{mb(lt['growth_kib']):+.3f} MB", f"< {GOAL_RSS_GROWTH_MB:g} MB",
         verdict(mb(lt["growth_kib"]) < GOAL_RSS_GROWTH_MB)),
        ("  of which heap etc. / files / shared mem", " / ".join(f"{mb(lt['growth_by_kind_kib'][k]):+.3f}"
         for k in ("RssAnon", "RssFile", "RssShmem")) + " MB", "", ""),
        (f"VmRSS growth, {lt['half_t']:.0f} s -> end", f"{mb(lt['growth_second_half_kib']):+.3f} MB", "", ""),
    ]
    if "control_growth_kib" in lt:
        g = lt["control_growth_by_kind_kib"]
        rows.append(("parecord alongside (control): growth, 10 s -> end",
                     f"{mb(lt['control_growth_kib']):+.3f} MB (shared mem {mb(g['RssShmem']):+.3f})", "", ""))
    rows += [
        (f"First sample written, median of {len(fs['runs'])}", f"{fs['median_ms']:g} ms", f"<= {GOAL_FIRST_SAMPLE_MS:g} ms",
         verdict(fs["median_ms"] <= GOAL_FIRST_SAMPLE_MS)),
        (f"First sample written, max of {len(fs['runs'])}", f"{fs['max_ms']:g} ms", f"<= {GOAL_FIRST_SAMPLE_MS:g} ms",
         verdict(fs["max_ms"] <= GOAL_FIRST_SAMPLE_MS)),
        (f"Audio lost on SIGKILL, max of {len(kl['runs'])}", f"{kl['max_loss_s']:.2f} s", f"<= {GOAL_KILL_LOSS_S:g} s",
         verdict(kl["max_loss_s"] <= GOAL_KILL_LOSS_S)),
    ]
    head = ("Figure", "Value", "Goal", "Result")
    w = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
    fmt = lambda r: "| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(r)) + " |"
    lines = [fmt(head), "|" + "|".join("-" * (x + 2) for x in w) + "|"] + [fmt(r) for r in rows]
    over = sum(1 for r in rows if r[3] == "OVER GOAL")
    return lines, over


def kill_table(kl):
    lines = ["| Kill | Delay | Elapsed since 'recording from' | Kept (WAV) | Lost |",
             "|------|-------|--------------------------------|------------|------|"]
    for i, x in enumerate(kl["runs"], 1):
        lines.append(f"| {i} | {x['delay_s']:.2f} s | {x['elapsed_s']:.3f} s | {x['kept_s']:.3f} s | {x['loss_s']:.3f} s |")
    return lines


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "loadavg_start": loadavg()}


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--work", required=True, help="scratch folder for data folders and files")
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--long-seconds", type=int, default=600)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--first-runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1555)
    ap.add_argument("--json", metavar="FILE", help="also save every figure as JSON")
    args = ap.parse_args()

    # Started in the background by a non-interactive bash, SIGINT arrives ignored: handle it
    # (handled signals are reset to default in children; ignored ones would be inherited).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    res = {"machine": machine(), "args": {k: v for k, v in vars(args).items() if k not in ("json",)},
           "incidents": []}
    try:
        for key, fn in (("side_by_side", side_by_side), ("first_sample", first_samples),
                        ("kills", kills), ("long_take", long_take)):
            res[key] = attempt(fn, args, key, res["incidents"])
    finally:
        # A second signal (bash's trap sends TERM after the terminal's INT) must not cut
        # this short and leave a recorder running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for c in CHILDREN:
            c.kill_if_running()

    m = res["machine"]
    lines, over = table(res)
    print()
    print(f"Rehearse recording benchmarks — {m['date']}, {m['nproc']} CPU(s), {m['cpu']}, Linux {m['kernel']}")
    print("Virtual microphone: PulseAudio null-sink monitor (remapped to source 'vmic'); rehearse-cli")
    print("reaches it through ALSA's pulse plugin, parecord through libpulse directly.")
    print(f"Load average (1, 5, 15 min): {m['loadavg_start']} at the start, {loadavg()} at the end.")
    print()
    print("\n".join(lines))
    print()
    print("\n".join(kill_table(res["kills"])))
    print()
    sbs, lt, fs = res["side_by_side"], res["long_take"], res["first_sample"]
    print(f"Side by side: rehearse-cli kept {sbs['rehearse']['audio_s']:.2f} s "
          f"({sbs['rehearse']['dropped_frames']} frames dropped), parecord {sbs['parecord']['audio_s']:.2f} s; "
          f"CPU per audio second {1000 * sbs['rehearse']['cpu_s'] / sbs['rehearse']['audio_s']:.2f} ms vs "
          f"{1000 * sbs['parecord']['cpu_s'] / max(sbs['parecord']['audio_s'], 1e-9):.2f} ms.")
    th = sorted(sbs.get("rehearse_threads_cpu_s", {}).items(), key=lambda x: -x[1])
    if th:
        print("rehearse-cli CPU by thread (side by side, last poll before exit): "
              + ", ".join(f"{n} {c:.2f} s" for n, c in th if c > 0))
    print(f"Long take: {lt['audio_s']:.1f} s kept, {lt['dropped_frames']} frames dropped, "
          f"{lt['cpu_s']:.2f} s CPU ({100 * lt['cpu_s'] / lt['audio_s']:.2f} % of one core), "
          f"peak RSS {mb(lt['peak_rss_kib']):.2f} MB, highest sampled VmRSS {mb(lt['rss_max_sampled_kib']):.2f} MB.")
    print(f"Start latency: first_sample_ms {[r['first_sample_ms'] for r in fs['runs']]} "
          f"(capture start -> first samples at the writer); process start -> 'recording from' line: "
          f"median {fs['spawn_to_line_median_ms']:.0f} ms, max {fs['spawn_to_line_max_ms']:.0f} ms.")
    for x in res["incidents"]:
        msg = " / ".join(line for line in x["error"].splitlines() if line.strip())
        print(f"Incident: {x['measurement']} attempt {x['attempt']} failed and was repeated: {msg}")
    print(f"{over} figure(s) over goal." if over else "All figures within their goals.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)
        print(f"Raw figures: {args.json}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
    except RuntimeError as e:
        log(f"error: {e}")
        sys.exit(1)
