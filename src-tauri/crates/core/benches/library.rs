//! Library view benchmark: a real on-disk library (the real migrations, the built-in decks)
//! holding N takes (default 100,000), queried through `Library::query_takes` and friends as
//! the window does. Prints p50 / p95 / max in ms per query. Goal: p95 ≤ 5 ms.
//!
//! cargo bench -p rehearse-core --bench library -- [N] [--runs R] [--keep DIR]
//! (scripts/bench-library.sh). Take rows are written straight into the SQLite file in one
//! transaction (recording 100,000 real WAVs would take days); no WAV files are created, the
//! view never reads them.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use rehearse_core::progress::ProgressScope;
use rehearse_core::rng::SplitMix64 as Rng;
use rehearse_core::{DataDir, DeckId, Library, RatingFilter, SortKey, TakeId, TakeQuery};
use rusqlite::params;

fn fmt(t: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.format(&f).unwrap()
}

/// N takes over a year, in time order (ids grow with time, as in real use): 25 % unrated,
/// 97 % ok / 2 % recovered / 1 % damaged, 5–300 s long, a rubric on a third, one best
/// take per question; 5,000 re-rates and 10,000 bookmarks.
fn populate(lib: &Library, n: usize) {
    let questions: Vec<String> = lib.questions().unwrap().into_iter().map(|q| q.id.0).collect();
    let mut c = rusqlite::Connection::open(lib.data_dir().db_path()).unwrap();
    let tx = c.transaction().unwrap();
    let now = time::OffsetDateTime::now_utc();
    let start = now - time::Duration::days(365);
    let step_ms = 365 * 86_400_000 / n as i64;
    let mut rng = Rng(1555);
    {
        let mut ins = tx
            .prepare(
                "INSERT INTO takes (question_id, started_at, duration_ms, sample_rate, channels, file_path, rating, notes,
                                    device, status, best, rated_at, rubric_json)
                 VALUES (?1, ?2, ?3, 48000, 1, ?4, ?5, '', 'bench', ?6, 0, ?7, ?8)",
            )
            .unwrap();
        for i in 0..n {
            let q = &questions[rng.below(questions.len() as u64) as usize];
            let at = start + time::Duration::milliseconds(i as i64 * step_ms + rng.below(step_ms as u64 / 2) as i64);
            let rating: Option<i64> = match rng.below(100) {
                0..25 => None,
                25..37 => Some(1),
                37..60 => Some(2),
                60..88 => Some(3),
                _ => Some(4),
            };
            let status = match rng.below(100) {
                0..97 => "ok",
                97..99 => "recovered",
                _ => "damaged",
            };
            let rated_at = rating.map(|_| fmt(at + time::Duration::minutes(5)));
            let rubric = if rng.below(3) == 0 {
                r#"{"key_points":[0,2],"situation":true,"task":true,"action":true,"result":false,"i_not_we":true,"number":false,"principle":"demonstrated"}"#
            } else {
                "{}"
            };
            ins.execute(params![
                q,
                fmt(at),
                5_000 + rng.below(295_000) as i64,
                format!("takes/bench-{i:06}.wav"),
                rating,
                status,
                rated_at,
                rubric
            ])
            .unwrap();
        }
    }
    tx.execute_batch("UPDATE takes SET best = 1 WHERE id IN (SELECT max(id) FROM takes WHERE rating >= 3 GROUP BY question_id);").unwrap();
    {
        let mut rr = tx.prepare("INSERT INTO rerates (take_id, rating, previous_rating, rated_at) SELECT id, ?2, rating, ?3 FROM takes WHERE id = ?1 AND rating IS NOT NULL").unwrap();
        let mut bm = tx.prepare("INSERT INTO bookmarks (take_id, at_ms, note, created_at) VALUES (?1, 1000, 'bench', ?2)").unwrap();
        for _ in 0..5_000 {
            rr.execute(params![1 + rng.below(n as u64) as i64, 1 + rng.below(4) as i64, fmt(now)]).unwrap();
        }
        for _ in 0..10_000 {
            bm.execute(params![1 + rng.below(n as u64) as i64, fmt(now)]).unwrap();
        }
    }
    tx.commit().unwrap();
}

/// Rating the latest rated take of each question again computes its schedule (FSRS replay
/// of all its reviews), so leech marks are real.
fn schedule_all(lib: &mut Library) {
    for q in lib.questions().unwrap() {
        if let Some(t) = lib.takes(Some(&q.id)).unwrap().into_iter().find(|t| t.rating.is_some()) {
            lib.rate_take(t.id, t.rating).unwrap();
        }
    }
}

/// Milliseconds of CPU this thread has used (what a busy machine does not inflate).
#[cfg(unix)]
fn cpu_ms() -> f64 {
    use nix::time::{clock_gettime, ClockId};
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).map(|t| t.tv_sec() as f64 * 1000.0 + t.tv_nsec() as f64 / 1e6).unwrap_or(f64::NAN)
}
#[cfg(not(unix))]
fn cpu_ms() -> f64 {
    f64::NAN
}

struct Stats {
    p50: f64,
    p95: f64,
    max: f64,
    cpu_p50: f64,
    cpu_p95: f64,
}

fn measure(runs: usize, mut f: impl FnMut()) -> Stats {
    for _ in 0..3 {
        f();
    }
    let (mut wall, mut cpu): (Vec<f64>, Vec<f64>) = (0..runs)
        .map(|_| {
            let (s, c) = (Instant::now(), cpu_ms());
            f();
            (s.elapsed().as_secs_f64() * 1000.0, cpu_ms() - c)
        })
        .unzip();
    wall.sort_by(|a, b| a.total_cmp(b));
    cpu.sort_by(|a, b| a.total_cmp(b));
    let at = |v: &[f64], p: usize| v[(v.len() * p / 100).min(v.len() - 1)];
    Stats { p50: at(&wall, 50), p95: at(&wall, 95), max: wall[wall.len() - 1], cpu_p50: at(&cpu, 50), cpu_p95: at(&cpu, 95) }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" / "))
        .unwrap_or_else(|_| "-".into())
}

fn main() {
    let mut n = 100_000usize;
    let mut runs = 200usize;
    let mut keep: Option<std::path::PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = args.next().and_then(|v| v.parse().ok()).expect("--runs N"),
            "--keep" => keep = args.next().map(Into::into),
            "--bench" => {}
            v => n = v.replace(['_', ','], "").parse().unwrap_or_else(|_| panic!("unknown argument {v}")),
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = keep.unwrap_or_else(|| tmp.path().join("data"));
    let s = Instant::now();
    {
        let mut lib = Library::open(DataDir::new(dir.clone())).unwrap();
        populate(&lib, n);
        schedule_all(&mut lib);
    }
    let build_s = s.elapsed().as_secs_f64();
    let s = Instant::now();
    let mut lib = Library::open(DataDir::new(dir.clone())).unwrap();
    let open_ms = s.elapsed().as_secs_f64() * 1000.0;
    let db_mb = std::fs::metadata(lib.data_dir().db_path()).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    let today = time::OffsetDateTime::now_utc().date();
    let day = |d: i64| (today - time::Duration::days(d)).to_string();

    let q = TakeQuery::default;
    let queries: Vec<(&str, TakeQuery)> = vec![
        ("default list (newest 50)", q()),
        ("page 2 (offset 50)", TakeQuery { offset: 50, ..q() }),
        ("deep page (offset 10,000)", TakeQuery { offset: 10_000, ..q() }),
        ("deck = databases", TakeQuery { deck: Some(DeckId::from("databases")), ..q() }),
        ("category = behavioural", TakeQuery { category: Some("behavioural".into()), ..q() }),
        ("tag = ownership", TakeQuery { tag: Some("ownership".into()), ..q() }),
        ("tag = seed", TakeQuery { tag: Some("seed".into()), ..q() }),
        ("rating = good", TakeQuery { ratings: vec![RatingFilter::Good], ..q() }),
        ("rating = again or unrated", TakeQuery { ratings: vec![RatingFilter::Again, RatingFilter::Unrated], ..q() }),
        ("date range: last 30 days", TakeQuery { from: Some(day(30)), to: Some(day(0)), ..q() }),
        ("date range: one day, 200 days ago", TakeQuery { from: Some(day(200)), to: Some(day(200)), ..q() }),
        ("status = recovered", TakeQuery { statuses: vec!["recovered".into()], ..q() }),
        ("status = damaged", TakeQuery { statuses: vec!["damaged".into()], ..q() }),
        ("best only", TakeQuery { best_only: true, ..q() }),
        ("search en \"deadlock\"", TakeQuery { search: Some("deadlock".into()), ..q() }),
        ("search en \"CUSTOMER\"", TakeQuery { search: Some("CUSTOMER".into()), ..q() }),
        ("search ko \"데드락\"", TakeQuery { search: Some("데드락".into()), ..q() }),
        ("search ko \"고객\"", TakeQuery { search: Some("고객".into()), ..q() }),
        ("sort date ascending", TakeQuery { descending: false, ..q() }),
        ("sort rating (best first)", TakeQuery { sort: SortKey::Rating, ..q() }),
        ("sort rating ascending", TakeQuery { sort: SortKey::Rating, descending: false, ..q() }),
        ("sort duration (longest first)", TakeQuery { sort: SortKey::Duration, ..q() }),
        ("sort duration ascending", TakeQuery { sort: SortKey::Duration, descending: false, ..q() }),
        ("deck + rating sort", TakeQuery { deck: Some(DeckId::from("leadership")), sort: SortKey::Rating, ..q() }),
        ("tag + duration sort", TakeQuery { tag: Some("dive-deep".into()), sort: SortKey::Duration, ..q() }),
        ("damaged + duration sort", TakeQuery { statuses: vec!["damaged".into()], sort: SortKey::Duration, ..q() }),
        ("one day + duration sort", TakeQuery { from: Some(day(200)), to: Some(day(200)), sort: SortKey::Duration, ..q() }),
        ("last 30 days + duration sort", TakeQuery { from: Some(day(30)), sort: SortKey::Duration, ..q() }),
        ("easy + duration sort", TakeQuery { ratings: vec![RatingFilter::Easy], sort: SortKey::Duration, ..q() }),
        (
            "leadership + good/easy + last 90 days",
            TakeQuery {
                deck: Some(DeckId::from("leadership")),
                ratings: vec![RatingFilter::Good, RatingFilter::Easy],
                from: Some(day(90)),
                ..q()
            },
        ),
        ("tag + easy (349 takes)", TakeQuery { tag: Some("ownership".into()), ratings: vec![RatingFilter::Easy], ..q() }),
        (
            "tag + good/easy + recovered",
            TakeQuery {
                tag: Some("ownership".into()),
                ratings: vec![RatingFilter::Easy, RatingFilter::Good],
                statuses: vec!["recovered".into()],
                ..q()
            },
        ),
        ("page of 500", TakeQuery { limit: 500, ..q() }),
    ];

    println!("library of {n} takes over the built-in decks: built in {build_s:.1} s, {db_mb:.1} MB, opened in {open_ms:.1} ms; {runs} runs per query");
    println!("load average (1/5/15 min) at the start: {}", load_average());
    println!("wall = elapsed time; cpu = CPU time of the querying thread (not inflated by other programs)");
    println!(
        "{:<40} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8}  goal: p95 ≤ 5 ms",
        "query (page of 50 unless said)", "total", "wall p50", "wall p95", "wall max", "cpu p50", "cpu p95"
    );
    let (mut over, mut cpu_over, mut cold_over, mut cold_cpu_over) = (0, 0, 0, 0);
    for (name, tq) in &queries {
        let total = lib.query_takes(tq).unwrap().total;
        let st = measure(runs, || {
            std::hint::black_box(lib.query_takes(tq).unwrap());
        });
        let (ok, cpu_ok) = (st.p95 <= 5.0, st.cpu_p95 <= 5.0);
        over += usize::from(!ok);
        cpu_over += usize::from(!cpu_ok);
        let verdict = match (ok, cpu_ok) {
            (true, _) => "ok",
            (false, true) => "wall OVER, cpu ok",
            (false, false) => "OVER",
        };
        let plan = lib.explain_take_query(tq).unwrap().join("; ");
        println!(
            "{name:<40} {total:>7} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2}  {verdict}   [{plan}]",
            st.p50, st.p95, st.max, st.cpu_p50, st.cpu_p95
        );
    }
    // The first query after a write, for every query above: by this library (as when the
    // window saves a setting or rates a take: SQLite's page cache stays warm) and by another
    // connection re-rating a take Good <-> Easy (as when the CLI rates while the app is open:
    // SQLite drops this connection's page cache, so the pages come back from the OS, and the
    // triggers of `take_counts` run).
    let writer = rusqlite::Connection::open(lib.data_dir().db_path()).unwrap();
    let rerated: i64 = writer.query_row("SELECT max(id) FROM takes WHERE rating IN (3, 4)", [], |r| r.get(0)).unwrap();
    let mut tick = 0u64;
    for (title, elsewhere) in [("first query after a write here", false), ("first query after a write elsewhere", true)] {
        println!();
        println!("{:<40} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8}", title, "total", "wall p50", "wall p95", "wall max", "cpu p50", "cpu p95");
        for (name, tq) in &queries {
            let mut runs_ms: Vec<(f64, f64)> = Vec::with_capacity(runs);
            for _ in 0..runs {
                tick += 1;
                if elsewhere {
                    writer.execute("UPDATE takes SET rating = 7 - rating WHERE id = ?1", [rerated]).unwrap();
                } else {
                    lib.set_setting("bench", Some(&tick.to_string())).unwrap();
                }
                let (s, c) = (Instant::now(), cpu_ms());
                std::hint::black_box(lib.query_takes(tq).unwrap());
                runs_ms.push((s.elapsed().as_secs_f64() * 1000.0, cpu_ms() - c));
            }
            let (mut wall, mut cpu): (Vec<f64>, Vec<f64>) = runs_ms.into_iter().unzip();
            wall.sort_by(|a, b| a.total_cmp(b));
            cpu.sort_by(|a, b| a.total_cmp(b));
            let at = |v: &[f64], p: usize| v[(v.len() * p / 100).min(v.len() - 1)];
            let (p95, cpu_p95) = (at(&wall, 95), at(&cpu, 95));
            cold_over += usize::from(p95 > 5.0);
            cold_cpu_over += usize::from(cpu_p95 > 5.0);
            println!(
                "{name:<40} {:>7} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2}  {}",
                lib.query_takes(tq).unwrap().total,
                at(&wall, 50),
                p95,
                wall[wall.len() - 1],
                at(&cpu, 50),
                cpu_p95,
                match (p95 <= 5.0, cpu_p95 <= 5.0) {
                    (true, _) => "ok",
                    (false, true) => "wall OVER, cpu ok",
                    (false, false) => "OVER",
                }
            );
        }
    }
    println!();
    println!("{:<40} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8}", "other views", "rows", "wall p50", "wall p95", "wall max", "cpu p50", "cpu p95");
    let other_runs = (runs / 4).max(10);
    let now = time::OffsetDateTime::now_utc();
    let row = |name: &str, rows: usize, st: Stats| {
        println!("{name:<40} {rows:>7} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2}", st.p50, st.p95, st.max, st.cpu_p50, st.cpu_p95)
    };
    row(
        "readiness",
        1,
        measure(other_runs, || {
            std::hint::black_box(lib.readiness(now).unwrap());
        }),
    );
    row(
        "principle grid (16)",
        16,
        measure(other_runs, || {
            std::hint::black_box(lib.principle_grid().unwrap());
        }),
    );
    let scope = ProgressScope::Question("db.deadlock".into());
    let n_q = lib.progress(&scope).unwrap().len();
    row(
        "progress of one question",
        n_q,
        measure(other_runs, || {
            std::hint::black_box(lib.progress(&scope).unwrap());
        }),
    );
    let scope = ProgressScope::Principle("ownership".into());
    let n_p = lib.progress(&scope).unwrap().len();
    row(
        "progress of a principle",
        n_p,
        measure(other_runs, || {
            std::hint::black_box(lib.progress(&scope).unwrap());
        }),
    );
    let scope = ProgressScope::Deck("databases".into());
    let n_d = lib.progress(&scope).unwrap().len();
    row(
        "progress of a deck",
        n_d,
        measure(other_runs, || {
            std::hint::black_box(lib.progress(&scope).unwrap());
        }),
    );
    row(
        "re-rate candidates (20)",
        20,
        measure(other_runs, || {
            std::hint::black_box(lib.rerate_candidates(20).unwrap());
        }),
    );
    row(
        "calibration summary",
        1,
        measure(other_runs, || {
            std::hint::black_box(lib.calibration().unwrap());
        }),
    );
    row(
        "bookmarks of a take",
        lib.bookmarks(TakeId(1)).unwrap().len(),
        measure(other_runs, || {
            std::hint::black_box(lib.bookmarks(TakeId(1)).unwrap());
        }),
    );
    println!();
    println!(
        "{over} of {} library queries over the p95 goal in wall time, {cpu_over} in CPU time; {cold_over} of {} first queries after a write in wall time, {cold_cpu_over} in CPU time; load average at the end: {}",
        queries.len(),
        2 * queries.len(),
        load_average()
    );
}
